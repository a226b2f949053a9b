package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
)

// Errors callers can tell apart with errors.Is.
var (
	// ErrChecksumMismatch means an archive's bytes differ from its recorded SHA-256.
	ErrChecksumMismatch = errors.New("store: checksum mismatch")
	// ErrWrongKey means none of the identities given can decrypt an archive.
	ErrWrongKey = errors.New("store: wrong key")
	// ErrNeedKey means an encrypted archive was opened without any identity.
	ErrNeedKey = errors.New("store: archive is encrypted")
	// ErrDamaged means an archive's content cannot be read back (decryption,
	// decompression or length check failed), or its sidecars contradict it.
	ErrDamaged = errors.New("store: archive is damaged")
)

// VerifyChecksum recomputes path's SHA-256 and compares it with its .sha256 sidecar.
func VerifyChecksum(path string) error {
	want, err := readChecksum(path)
	if err != nil {
		return err
	}
	return hashMatches(path, want)
}

// hashMatches reads the file at path and compares its SHA-256 with want.
func hashMatches(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, writeBufferSize)); err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	return compareSum(path, h, want)
}

func compareSum(path string, h hash.Hash, want string) error {
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, its sidecar says %s", ErrChecksumMismatch, path, got, want)
	}
	return nil
}

// readChecksum parses archive's one-line sha256sum sidecar, which must name the
// archive (so `sha256sum -c` checks the right file).
func readChecksum(archive string) (string, error) {
	path := archive + ChecksumExt
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("store: open checksum sidecar: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("store: read %s: %w", path, err)
	}
	sum, file, ok := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	if _, decErr := hex.DecodeString(sum); !ok || decErr != nil || len(sum) != sha256.Size*2 {
		return "", fmt.Errorf("%w: %s is not in sha256sum format", ErrDamaged, path)
	}
	// sha256sum writes "SUM  NAME" (text mode) or "SUM *NAME" (binary mode).
	if file = strings.TrimPrefix(strings.TrimPrefix(file, " "), "*"); file != filepath.Base(archive) {
		return "", fmt.Errorf("%w: %s names %q, not %q", ErrDamaged, path, file, filepath.Base(archive))
	}
	return strings.ToLower(sum), nil
}

// ReadMetaFile reads the .json sidecar of the archive at path.
func ReadMetaFile(archive string) (Meta, error) {
	f, err := os.Open(archive + MetaExt)
	if err != nil {
		return Meta{}, fmt.Errorf("store: open metadata of %s: %w", archive, err)
	}
	defer f.Close()
	m, err := ReadMeta(f)
	if err != nil {
		return Meta{}, fmt.Errorf("%s: %w", archive+MetaExt, err)
	}
	return m, nil
}

// Verify checks an archive without opening it: its checksum sidecar matches its
// bytes, and its metadata sidecar agrees with both (name, size, checksum). It needs
// no key, so it checks encrypted archives as well. It returns the metadata.
func Verify(path string) (Meta, error) {
	meta, want, err := sidecars(path)
	if err != nil {
		return Meta{}, err
	}
	return meta, hashMatches(path, want)
}

// sidecars reads and cross-checks an archive's two sidecars and its size.
func sidecars(path string) (Meta, string, error) {
	meta, err := ReadMetaFile(path)
	if err != nil {
		return Meta{}, "", err
	}
	want, err := readChecksum(path)
	if err != nil {
		return meta, "", err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return meta, "", fmt.Errorf("store: %w", err)
	}
	switch {
	case meta.File != filepath.Base(path):
		return meta, "", fmt.Errorf("%w: %s describes %q, not %q", ErrDamaged, path+MetaExt, meta.File, filepath.Base(path))
	case meta.SHA256 != want:
		return meta, "", fmt.Errorf("%w: the checksum in %s differs from the one in %s", ErrDamaged, path+MetaExt, path+ChecksumExt)
	case fi.Size() != meta.Size:
		return meta, "", fmt.Errorf("%w: %s is %d bytes, its metadata says %d", ErrDamaged, path, fi.Size(), meta.Size)
	case meta.Encrypted() != strings.HasSuffix(path, ageExt):
		return meta, "", fmt.Errorf("%w: %s: its name and its metadata disagree about encryption", ErrDamaged, path)
	}
	return meta, want, nil
}

// VerifyDeep checks an archive as Verify does, and also reads it back in the same
// pass: decrypts it with identities (when encrypted), decompresses it to the end
// (which checks age's and zstd's/gzip's own integrity codes), checks its length
// against the metadata, and writes the original dump to sink, so the caller can run
// the engine's completeness check on it (engines.Recorder, Engine.CheckComplete).
func VerifyDeep(ctx context.Context, path string, sink io.Writer, identities ...age.Identity) (Meta, error) {
	meta, want, err := sidecars(path)
	if err != nil {
		return Meta{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return meta, fmt.Errorf("store: open archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	r, openErr := openStream(path, io.TeeReader(f, h), identities)
	var n int64
	var readErr error
	if openErr == nil {
		n, readErr = io.CopyBuffer(sink, ctxReader{ctx, r}, make([]byte, writeBufferSize))
		_ = r.Close()
	}
	// Hash what the decoder left unread: a damaged file is reported as such first,
	// whatever the decoder made of it.
	if _, err := io.CopyBuffer(h, ctxReader{ctx, f}, make([]byte, writeBufferSize)); err != nil {
		return meta, fmt.Errorf("store: read %s: %w", path, err)
	}
	if err := compareSum(path, h, want); err != nil {
		return meta, err
	}
	if err := errors.Join(openErr, readErr); err != nil {
		return meta, err
	}
	if n != meta.DumpSize {
		return meta, fmt.Errorf("%w: %s holds %d dump bytes, its metadata says %d", ErrDamaged, path, n, meta.DumpSize)
	}
	return meta, nil
}

// Open returns the original dump bytes of the archive at path, decrypting with
// identities when it ends in .age and decompressing according to its extension.
// It does not verify the checksum: call Verify first when that matters. Errors
// from reading wrap ErrDamaged; a wrong key gives ErrWrongKey.
func Open(path string, identities ...age.Identity) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open archive: %w", err)
	}
	r, err := openStream(path, f, identities)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{Reader: r, close: func() error { return errors.Join(r.Close(), f.Close()) }}, nil
}

// openStream decrypts and decompresses src, the content of the archive at path.
func openStream(path string, src io.Reader, identities []age.Identity) (io.ReadCloser, error) {
	var r io.Reader = bufio.NewReaderSize(src, writeBufferSize)
	name := filepath.Base(path)
	if strings.HasSuffix(name, ageExt) {
		if len(identities) == 0 {
			return nil, fmt.Errorf("%w: %s needs an identity file or passphrase to open", ErrNeedKey, path)
		}
		var err error
		if r, err = age.Decrypt(r, identities...); err != nil {
			return nil, decryptError(path, err, identities)
		}
		name = strings.TrimSuffix(name, ageExt)
	}
	d, err := compressionOf(name).decompressor(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	return readCloser{Reader: damagedReader{path: path, r: d}, close: d.Close}, nil
}

// decryptError explains why age could not open an archive in the user's terms.
func decryptError(path string, err error, identities []age.Identity) error {
	var noMatch *age.NoIdentityMatchError
	if !errors.As(err, &noMatch) {
		return fmt.Errorf("%w: %s: not a readable age file: %v", ErrDamaged, path, err)
	}
	havePassphrase := slices.ContainsFunc(identities, func(id age.Identity) bool {
		_, ok := id.(*age.ScryptIdentity)
		return ok
	})
	passphraseFile := slices.Contains(noMatch.StanzaTypes, "scrypt")
	switch {
	case passphraseFile && havePassphrase:
		return fmt.Errorf("%w: %s: the passphrase is wrong", ErrWrongKey, path)
	case passphraseFile:
		return fmt.Errorf("%w: %s is encrypted with a passphrase, not to a public key: give the passphrase instead of an identity", ErrWrongKey, path)
	case havePassphrase && len(identities) == 1:
		return fmt.Errorf("%w: %s is encrypted to public keys (%s), not with a passphrase: give an identity file", ErrWrongKey, path, strings.Join(noMatch.StanzaTypes, ", "))
	}
	return fmt.Errorf("%w: %s: none of the %d identities given matches its recipients (%s stanzas)",
		ErrWrongKey, path, len(identities), strings.Join(noMatch.StanzaTypes, ", "))
}

// damagedReader marks read errors (other than EOF) as ErrDamaged, naming the file.
type damagedReader struct {
	path string
	r    io.Reader
}

func (d damagedReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %s: %v", ErrDamaged, d.path, err)
	}
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
