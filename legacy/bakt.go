package legacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// The Ruby tool's encrypted file (backup_encryption.rb), every number one byte:
//
//	"BAKT" | version 1 | len(algorithm) | algorithm "aes-256-gcm" | IV (12 bytes)
//	| AES-256-GCM ciphertext of the whole file it encrypted (no additional data)
//	| GCM tag (16 bytes)
const (
	baktMagic     = "BAKT"
	baktVersion   = 1
	baktAlgorithm = "aes-256-gcm"
	baktIVSize    = 12
	baktTagSize   = 16
	// BAKTHeaderSize is the length of the header before the ciphertext.
	BAKTHeaderSize = len(baktMagic) + 2 + len(baktAlgorithm) + baktIVSize
	// gcmMaxCiphertext is GCM's limit on one message (2^39-256 bits); within it a
	// 128-bit counter (cipher.NewCTR) and GCM's 32-bit one (inc32) agree.
	gcmMaxCiphertext = 1<<36 - 32
)

// Errors callers can tell apart with errors.Is.
var (
	// ErrAuthentication means an encrypted archive's GCM tag does not match: the
	// file was changed or damaged, or the key is not the one it was written with.
	ErrAuthentication = errors.New("legacy: authentication failed")
	// ErrWrongKey means no key given is the one an archive records it was written with.
	ErrWrongKey = errors.New("legacy: wrong key")
	// ErrNeedKey means an encrypted archive was opened without any key.
	ErrNeedKey = errors.New("legacy: archive is encrypted")
	// ErrDamaged means an archive cannot be read as what its name says it is, or
	// contradicts its .meta.
	ErrDamaged = errors.New("legacy: archive is damaged")
	// ErrChecksumMismatch means an archive's SHA-256 differs from its .meta's.
	ErrChecksumMismatch = errors.New("legacy: checksum mismatch")
	// ErrChanged means an archive changed between its verification and its reading.
	ErrChanged = errors.New("legacy: archive changed while it was read")
	// ErrIncomplete means a dump lacks the end its tool writes: it was cut short.
	ErrIncomplete = errors.New("legacy: dump is incomplete")
)

// readBAKTHeader reads and checks the header and returns the IV.
func readBAKTHeader(r io.Reader) ([baktIVSize]byte, error) {
	var iv [baktIVSize]byte
	var fixed [len(baktMagic) + 2]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return iv, fmt.Errorf("%w: too short for the BAKT header", ErrDamaged)
	}
	if string(fixed[:4]) != baktMagic {
		return iv, fmt.Errorf("%w: does not start with BAKT: not the Ruby tool's encrypted format", ErrDamaged)
	}
	if fixed[4] != baktVersion {
		return iv, fmt.Errorf("%w: BAKT version %d (only version 1 exists)", ErrDamaged, fixed[4])
	}
	algorithm := make([]byte, fixed[5])
	if _, err := io.ReadFull(r, algorithm); err != nil {
		return iv, fmt.Errorf("%w: too short for the BAKT header", ErrDamaged)
	}
	if string(algorithm) != baktAlgorithm {
		return iv, fmt.Errorf("%w: BAKT algorithm %.40q (only %s exists)", ErrDamaged, algorithm, baktAlgorithm)
	}
	if _, err := io.ReadFull(r, iv[:]); err != nil {
		return iv, fmt.Errorf("%w: too short for the BAKT header", ErrDamaged)
	}
	return iv, nil
}

// gcmOpener decrypts one AES-256-GCM message as a stream. What Read returns is not
// authenticated until Read returns io.EOF; when the tag does not match, the last
// Read returns ErrAuthentication instead. Callers must not release its output
// before then (see verify.go for how Open avoids it).
type gcmOpener struct {
	body    io.Reader // the ciphertext: exactly size-16 bytes, then the tag
	src     io.Reader
	stream  cipher.Stream
	hash    *ghash
	tagMask [16]byte // E_K(J0)
	err     error
}

// newGCMOpener reads a message of size bytes (ciphertext and tag) from src.
func newGCMOpener(key [keySize]byte, iv [baktIVSize]byte, src io.Reader, size int64) (*gcmOpener, error) {
	if size < baktTagSize {
		return nil, fmt.Errorf("%w: too short for a GCM tag", ErrDamaged)
	}
	if size-baktTagSize > gcmMaxCiphertext {
		return nil, fmt.Errorf("%w: longer than one GCM message may be", ErrDamaged)
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	var h, counter [16]byte
	block.Encrypt(h[:], h[:])
	copy(counter[:], iv[:])
	counter[15] = 1 // J0 = IV || 0^31 || 1
	o := &gcmOpener{body: io.LimitReader(src, size-baktTagSize), src: src, hash: newGHASH(h)}
	block.Encrypt(o.tagMask[:], counter[:])
	counter[15] = 2 // the keystream starts at inc32(J0)
	o.stream = cipher.NewCTR(block, counter[:])
	return o, nil
}

func (o *gcmOpener) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.body.Read(p)
	_, _ = o.hash.Write(p[:n])
	o.stream.XORKeyStream(p[:n], p[:n])
	if err == io.EOF {
		err = o.finish()
	}
	if err != nil {
		o.err = err
	}
	return n, err
}

// finish reads the tag and compares it: io.EOF when it matches.
func (o *gcmOpener) finish() error {
	var tag [baktTagSize]byte
	if _, err := io.ReadFull(o.src, tag[:]); err != nil {
		return fmt.Errorf("%w: the file ends before its GCM tag", ErrDamaged)
	}
	var extra [1]byte
	if n, _ := o.src.Read(extra[:]); n != 0 {
		return fmt.Errorf("%w: bytes after the GCM tag", ErrDamaged)
	}
	sum := o.hash.sum()
	subtle.XORBytes(sum[:], sum[:], o.tagMask[:])
	if subtle.ConstantTimeCompare(sum[:], tag[:]) != 1 {
		return ErrAuthentication
	}
	return io.EOF
}
