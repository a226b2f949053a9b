package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"
)

// OpenVerified opens the archive at path for a restore. It checks the archive as
// Verify does (sidecars, size, SHA-256) before it returns, so a damaged archive is
// refused before a byte reaches the database; then it reads the same open file
// again, hashing it as it goes. The reader it returns gives io.EOF only when the
// whole file still matches its checksum and the dump has the length its metadata
// says: a file changed after the first check (or a short read) ends in an error
// wrapping ErrChecksumMismatch or ErrDamaged instead, before the consumer sees
// the end of the stream, so a restore that commits only at a clean end (psql in
// one transaction) rolls back.
func OpenVerified(ctx context.Context, path string, identities ...age.Identity) (Meta, io.ReadCloser, error) {
	d, base, err := openParent(path)
	if err != nil {
		return Meta{}, nil, err
	}
	defer d.close()
	return openVerifiedIn(ctx, d, base, path, identities)
}

// OpenVerifiedBelow is OpenVerified for an archive of the destination root:
// the directories from root down to the archive are opened one at a time
// without following a link, so a consumer that can write to the volume cannot
// swap one for a link to a tree it forged. root itself is taken as given.
func OpenVerifiedBelow(ctx context.Context, root, path string, identities ...age.Identity) (Meta, io.ReadCloser, error) {
	d, err := openDirBelow(root, filepath.Dir(path))
	if err != nil {
		return Meta{}, nil, fmt.Errorf("store: %w", err)
	}
	defer d.close()
	return openVerifiedIn(ctx, d, filepath.Base(path), path, identities)
}

// openVerifiedIn is OpenVerified of the archive base in d.
func openVerifiedIn(ctx context.Context, d *dirHandle, base, path string, identities []age.Identity) (Meta, io.ReadCloser, error) {
	meta, want, f, err := sidecarsIn(d, base)
	if err != nil {
		return meta, nil, err
	}
	if err := hashMatches(ctx, f, want); err != nil {
		f.Close()
		return meta, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return meta, nil, fmt.Errorf("store: %w", err)
	}
	v := &verifiedReader{ctx: ctx, path: path, f: f, h: sha256.New(), want: want, dumpSize: meta.DumpSize}
	dec, err := openStream(path, io.TeeReader(ctxReader{ctx, f}, v.h), identities)
	if err != nil {
		f.Close()
		return meta, nil, err
	}
	v.dec = dec
	return meta, v, nil
}

// verifiedReader is the dump of an archive whose raw bytes are hashed as they are
// read; its end is checked before it is reported.
type verifiedReader struct {
	ctx      context.Context
	path     string
	f        *os.File
	dec      io.ReadCloser
	h        hash.Hash
	want     string
	dumpSize int64
	n        int64
	err      error // sticky: io.EOF or the failure
}

func (v *verifiedReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.dec.Read(p)
	v.n += int64(n)
	if err != nil {
		v.err = v.end(err)
	}
	return n, v.err
}

// end decides what the end of the decoded stream means: io.EOF only when every byte
// of the file was hashed and matches, and the dump has its recorded length.
func (v *verifiedReader) end(decodeErr error) error {
	// Hash what the decoder left unread: a changed file is reported as such first,
	// whatever the decoder made of it.
	if _, err := io.CopyBuffer(v.h, ctxReader{v.ctx, v.f}, make([]byte, writeBufferSize)); err != nil {
		return fmt.Errorf("store: read %s: %w", v.path, err)
	}
	if err := compareSum(v.path, v.h, v.want); err != nil {
		return fmt.Errorf("%w (the archive changed after it was checked)", err)
	}
	if decodeErr != io.EOF {
		return decodeErr
	}
	if v.n != v.dumpSize {
		return fmt.Errorf("%w: %s holds %d dump bytes, its metadata says %d", ErrDamaged, v.path, v.n, v.dumpSize)
	}
	return io.EOF
}

func (v *verifiedReader) Close() error {
	return errors.Join(v.dec.Close(), v.f.Close())
}
