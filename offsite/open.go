package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/baktainer/baktainer/store"
)

// ArchiveReader streams a remote archive's bytes as stored (still compressed
// and encrypted), hashing them as they pass. A read the network cuts off is
// resumed where it stopped, from the same object (its ETag must not change).
// The Read that reaches the end returns io.EOF only when the bytes' SHA-256 is
// the one in the copy's sidecars; otherwise an error wrapping
// store.ErrChecksumMismatch or store.ErrDamaged. A restore must treat that
// last error as a failed restore.
type ArchiveReader struct {
	remote *Remote
	ctx    context.Context
	rt     *retrier
	key    string
	etag   string
	meta   store.Meta
	want   []byte
	body   io.ReadCloser
	offset int64
	hash   hash.Hash
	err    error // sticky
}

// Open opens the copy whose archive is at key for a verified streaming read.
// It reads and checks the sidecars first: a copy whose sidecars contradict it
// fails at once (store.ErrDamaged), a missing one with ErrNotFound.
func (r *Remote) Open(ctx context.Context, key string) (*ArchiveReader, error) {
	k, ok := parseKey(r.prefix, key)
	if !ok || k.sidecar != "" {
		return nil, fmt.Errorf("offsite: %s is not the key of an archive under %s", r.URL(key), r.URL(r.prefix))
	}
	rt := &retrier{policy: r.opts.Retry, log: r.opts.Log.WithField("key", key)}
	metaJSON, checksum, err := r.readSidecars(ctx, rt, key)
	if err != nil {
		return nil, redact(fmt.Errorf("offsite: open: %w", err), r.settings)
	}
	a := &ArchiveReader{remote: r, ctx: ctx, rt: rt, key: key, hash: sha256.New()}
	err = rt.do(ctx, "read "+r.URL(key), func(ctx context.Context) (err error) {
		var info objectInfo
		a.body, info, err = r.store.get(ctx, key, 0, "")
		if err == nil {
			a.etag = info.ETag
			a.meta, err = checkSidecars(k, info.Size, metaJSON, checksum)
			if err != nil {
				a.body.Close()
				err = permanent(fmt.Errorf("%w %s: %v", errDamagedCopy, r.URL(key), err))
			}
		}
		return err
	})
	if errors.Is(err, errNotFound) {
		err = fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if err != nil {
		return nil, redact(fmt.Errorf("offsite: open: %w", err), r.settings)
	}
	a.want, _ = hex.DecodeString(a.meta.SHA256)
	return a, nil
}

// Meta returns the copy's metadata, from its .json sidecar.
func (a *ArchiveReader) Meta() store.Meta { return a.meta }

// Key returns the archive's key.
func (a *ArchiveReader) Key() string { return a.key }

// Retries returns how often the read was resumed.
func (a *ArchiveReader) Retries() int { return int(a.rt.retries.Load()) }

// Read reads the archive's next bytes; see ArchiveReader.
func (a *ArchiveReader) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.body.Read(p)
	a.hash.Write(p[:n])
	a.offset += int64(n)
	switch {
	case a.offset > a.meta.Size:
		a.err = fmt.Errorf("offsite: %w: %s is longer than the %d bytes its metadata says", store.ErrDamaged, a.remote.URL(a.key), a.meta.Size)
	case a.offset == a.meta.Size:
		a.err = a.finish()
	case err != nil: // cut off, or ended early: go on from here
		a.err = a.resume(err)
	}
	if a.err == io.EOF && n > 0 {
		return n, nil // EOF with the next call
	}
	return n, a.err
}

// finish compares the hash of everything read with the sidecars' checksum.
func (a *ArchiveReader) finish() error {
	if got := a.hash.Sum(nil); !bytes.Equal(got, a.want) {
		return fmt.Errorf("offsite: %w: %s has sha256 %x, its sidecars say %x", store.ErrChecksumMismatch, a.remote.URL(a.key), got, a.want)
	}
	return io.EOF
}

// resume reopens the object at the current offset after cause cut the read.
func (a *ArchiveReader) resume(cause error) error {
	a.body.Close()
	if cause == nil || cause == io.EOF {
		cause = io.ErrUnexpectedEOF
	}
	if !transient(cause) {
		return redact(fmt.Errorf("offsite: read %s: %w", a.remote.URL(a.key), cause), a.remote.settings)
	}
	a.rt.retries.Add(1)
	a.rt.log.Warnf("off-host copy: read of %s cut off at byte %d: %v; resuming", a.remote.URL(a.key), a.offset, cause)
	err := a.rt.do(a.ctx, fmt.Sprintf("resume %s at byte %d", a.remote.URL(a.key), a.offset), func(ctx context.Context) (err error) {
		a.body, _, err = a.remote.store.get(ctx, a.key, a.offset, a.etag)
		return err
	})
	if err != nil {
		a.body = io.NopCloser(bytes.NewReader(nil))
		return redact(fmt.Errorf("offsite: %w", err), a.remote.settings)
	}
	return nil
}

// Close releases the connection.
func (a *ArchiveReader) Close() error { return a.body.Close() }

// Verify reads the copy whose archive is at key to its end and checks it: the
// sidecars agree with each other and the key, the SHA-256 of the bytes is theirs.
// It needs no key: encrypted copies are checked as they are. It returns the
// copy's metadata.
func (r *Remote) Verify(ctx context.Context, key string) (store.Meta, error) {
	a, err := r.Open(ctx, key)
	if err != nil {
		return store.Meta{}, err
	}
	defer a.Close()
	if _, err := io.CopyBuffer(io.Discard, a, make([]byte, hashBufferSize)); err != nil {
		return a.meta, err
	}
	return a.meta, nil
}
