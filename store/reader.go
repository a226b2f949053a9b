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

// VerifyChecksum recomputes path's SHA-256 and compares it with its .sha256
// sidecar, reading the whole archive; it stops when ctx ends.
func VerifyChecksum(ctx context.Context, path string) error {
	d, base, err := openParent(path)
	if err != nil {
		return err
	}
	defer d.close()
	want, err := readChecksumIn(d, base)
	if err != nil {
		return err
	}
	f, err := d.openRegular(base)
	if err != nil {
		return fmt.Errorf("store: open archive: %w", err)
	}
	defer f.Close()
	return hashMatches(ctx, f, want)
}

// openParent opens the directory of path (following links there: the path is the
// caller's) and returns it with the file's base name, which is never followed.
func openParent(path string) (*dirHandle, string, error) {
	d, err := openRoot(filepath.Dir(path))
	if err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	return d, filepath.Base(path), nil
}

// hashMatches reads f to its end and compares its SHA-256 with want.
func hashMatches(ctx context.Context, f *os.File, want string) error {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx, f}, make([]byte, writeBufferSize)); err != nil {
		return fmt.Errorf("store: read %s: %w", f.Name(), err)
	}
	return compareSum(f.Name(), h, want)
}

// hashFileIn checks that the regular file name in d has size bytes and the SHA-256
// want.
func hashFileIn(ctx context.Context, d *dirHandle, name, want string, size int64) error {
	f, err := d.openRegular(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		return fmt.Errorf("%w: %s is not the %d bytes its metadata says", ErrDamaged, f.Name(), size)
	}
	return hashMatches(ctx, f, want)
}

func compareSum(path string, h hash.Hash, want string) error {
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, its sidecar says %s", ErrChecksumMismatch, path, got, want)
	}
	return nil
}

// readChecksumIn parses the one-line sha256sum sidecar of the archive base in d,
// which must name the archive (so `sha256sum -c` checks the right file).
func readChecksumIn(d *dirHandle, base string) (string, error) {
	f, err := d.openRegular(base + ChecksumExt)
	if err != nil {
		return "", fmt.Errorf("store: open checksum sidecar: %w", err)
	}
	defer f.Close()
	path := f.Name()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("store: read %s: %w", path, err)
	}
	sum, file, ok := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	if _, decErr := hex.DecodeString(sum); !ok || decErr != nil || len(sum) != sha256.Size*2 {
		return "", fmt.Errorf("%w: %s is not in sha256sum format", ErrDamaged, path)
	}
	// sha256sum writes "SUM  NAME" (text mode) or "SUM *NAME" (binary mode).
	if file = strings.TrimPrefix(strings.TrimPrefix(file, " "), "*"); file != base {
		return "", fmt.Errorf("%w: %s names %q, not %q", ErrDamaged, path, file, base)
	}
	return strings.ToLower(sum), nil
}

// ReadMetaFile reads the .json sidecar of the archive at path.
func ReadMetaFile(archive string) (Meta, error) {
	d, base, err := openParent(archive)
	if err != nil {
		return Meta{}, err
	}
	defer d.close()
	return readMetaIn(d, base)
}

// readMetaIn reads the .json sidecar of the archive base in d.
func readMetaIn(d *dirHandle, base string) (Meta, error) {
	f, err := d.openRegular(base + MetaExt)
	if err != nil {
		return Meta{}, fmt.Errorf("store: open metadata of %s: %w", d.join(base), err)
	}
	defer f.Close()
	m, err := ReadMeta(f)
	if err != nil {
		return Meta{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return m, nil
}

// Verify checks an archive without opening it: its checksum sidecar matches its
// bytes, and its metadata sidecar agrees with both (name, size, checksum). It needs
// no key, so it checks encrypted archives as well. It returns the metadata. Only
// regular files are opened: a link, FIFO or device is refused, never read.
func Verify(ctx context.Context, path string) (Meta, error) {
	d, base, err := openParent(path)
	if err != nil {
		return Meta{}, err
	}
	defer d.close()
	return verifyIn(ctx, d, base)
}

// verifyIn is Verify of the archive base in d.
func verifyIn(ctx context.Context, d *dirHandle, base string) (Meta, error) {
	meta, want, f, err := sidecarsIn(d, base)
	if err != nil {
		return meta, err
	}
	defer f.Close()
	return meta, hashMatches(ctx, f, want)
}

// sidecarsIn reads and cross-checks the sidecars of the archive base in d, and
// opens the archive, checking its size.
func sidecarsIn(d *dirHandle, base string) (Meta, string, *os.File, error) {
	meta, err := readMetaIn(d, base)
	if err != nil {
		return Meta{}, "", nil, err
	}
	want, err := readChecksumIn(d, base)
	if err != nil {
		return meta, "", nil, err
	}
	f, err := d.openRegular(base)
	if err != nil {
		return meta, "", nil, fmt.Errorf("store: open archive: %w", err)
	}
	path := f.Name()
	fi, err := f.Stat()
	if err == nil {
		switch {
		case meta.File != base:
			err = fmt.Errorf("%w: %s describes %q, not %q", ErrDamaged, path+MetaExt, meta.File, base)
		case meta.SHA256 != want:
			err = fmt.Errorf("%w: the checksum in %s differs from the one in %s", ErrDamaged, path+MetaExt, path+ChecksumExt)
		case fi.Size() != meta.Size:
			err = fmt.Errorf("%w: %s is %d bytes, its metadata says %d", ErrDamaged, path, fi.Size(), meta.Size)
		case meta.Encrypted() != strings.HasSuffix(base, ageExt):
			err = fmt.Errorf("%w: %s: its name and its metadata disagree about encryption", ErrDamaged, path)
		}
	}
	if err != nil {
		f.Close()
		return meta, "", nil, err
	}
	return meta, want, f, nil
}

// VerifyDeep checks an archive as Verify does, and also reads it back in the same
// pass: decrypts it with identities (when encrypted), decompresses it to the end
// (which checks age's and zstd's/gzip's own integrity codes), checks its length
// against the metadata, and writes the original dump to sink, so the caller can run
// the engine's completeness check on it (engines.Recorder, Engine.CheckComplete).
func VerifyDeep(ctx context.Context, path string, sink io.Writer, identities ...age.Identity) (Meta, error) {
	d, base, err := openParent(path)
	if err != nil {
		return Meta{}, err
	}
	defer d.close()
	meta, want, f, err := sidecarsIn(d, base)
	if err != nil {
		return meta, err
	}
	defer f.Close()
	h := sha256.New()
	r, openErr := openStream(path, io.TeeReader(ctxReader{ctx, f}, h), identities)
	var n int64
	var readErr error
	if openErr == nil {
		n, readErr = io.CopyBuffer(sink, r, make([]byte, writeBufferSize))
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
// It does not verify the checksum: OpenVerified does. Errors from reading wrap
// ErrDamaged; a wrong key gives ErrWrongKey. Only a regular file is opened.
func Open(path string, identities ...age.Identity) (io.ReadCloser, error) {
	d, base, err := openParent(path)
	if err != nil {
		return nil, err
	}
	f, err := d.openRegular(base)
	d.close()
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
