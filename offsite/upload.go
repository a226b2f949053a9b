package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/baktainer/baktainer/store"
)

// Upload is what one upload did, for the caller's metrics and history.
type Upload struct {
	Key      string        // the archive's key; its sidecars are Key+".json", Key+".sha256"
	URL      string        // s3://BUCKET/KEY
	Size     int64         // the archive's size
	Bytes    int64         // bytes sent, counting what retries sent again
	Parts    int           // multipart upload parts; 0 for a single request
	Retries  int           // requests tried again after a transient failure
	Duration time.Duration // from the call to the last sidecar stored
	// Skipped is true when an identical complete copy was already there.
	Skipped bool
	// Early is true when the parts were sent while the archive was written
	// (Early.Finish); Duration then counts from the commit.
	Early bool
}

// Upload copies the committed archive at path (<root>/<name>/<date>/<file>) and
// its sidecars to PREFIX/<name>/<date>/<file>. Call it after store's Commit:
// it reads the committed file, never a file being written.
//
// The archive goes first, in one request up to the part size or as a multipart
// upload above: either way it appears under its key whole or not at all, and an
// upload that fails is aborted. Every request carries the SHA-256 of its bytes,
// which the server checks before it stores them; the upload also hashes exactly
// the bytes it sends and compares the result with the archive's .sha256 before
// it completes. Then the .json sidecar, then the .sha256 one: a copy whose
// .sha256 is there is complete and verified. A complete identical copy already
// there is left alone (Skipped); a different one under the same key is never
// overwritten (ErrExists).
//
// Transient failures are retried with exponential backoff (Options.Retry);
// the error after the last attempt names the bucket and key, never a credential.
func (r *Remote) Upload(ctx context.Context, path string) (res Upload, err error) {
	start := time.Now()
	up := &uploader{Remote: r, rt: &retrier{policy: r.opts.Retry, log: r.opts.Log}}
	defer func() {
		res.Duration, res.Retries, res.Bytes = time.Since(start), int(up.rt.retries.Load()), up.sent.Load()
		err = redact(err, r.settings)
	}()
	if up.local, err = openLocal(path); err != nil {
		return res, err
	}
	defer up.local.close()
	up.src = up.local.file
	m := up.local.meta
	up.key = archiveKey(r.prefix, m.Name, m.Created, m.File)
	up.rt.log = r.opts.Log.WithField("key", up.key)
	res.Key, res.URL, res.Size = up.key, r.URL(up.key), m.Size
	if res.Skipped, err = up.alreadyThere(ctx); err != nil || res.Skipped {
		return res, err
	}
	if res.Parts, err = up.archive(ctx); err != nil {
		return res, err
	}
	return res, up.sidecars(ctx)
}

// sidecars stores the .json, then the .sha256: the copy is then complete.
func (u *uploader) sidecars(ctx context.Context) error {
	for _, sc := range []struct {
		ext  string
		data []byte
	}{{store.MetaExt, u.local.metaJSON}, {store.ChecksumExt, u.local.checksum}} {
		if err := u.putSmall(ctx, u.key+sc.ext, sc.data); err != nil {
			return fmt.Errorf("offsite: upload %s: %w", u.URL(u.key+sc.ext), err)
		}
	}
	return nil
}

// uploader is one Upload in progress.
type uploader struct {
	*Remote
	rt    *retrier
	local *localArchive // the committed archive and its sidecars
	// src is the file the archive's bytes are read from: local.file, or for an
	// early copy the file that was being written (the same file).
	src  *os.File
	key  string
	sent atomic.Int64
}

// alreadyThere reports whether a complete copy of the same archive is in the
// bucket; a different one under the key is ErrExists.
func (u *uploader) alreadyThere(ctx context.Context) (bool, error) {
	var remote []byte
	err := u.rt.do(ctx, "read "+u.URL(u.key+store.ChecksumExt), func(ctx context.Context) error {
		var err error
		remote, err = u.readSmall(ctx, u.key+store.ChecksumExt, maxChecksumSidecar)
		return err
	})
	switch {
	case errors.Is(err, errNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("offsite: %w", err)
	case !bytes.Equal(remote, u.local.checksum):
		return false, fmt.Errorf("%w: %s holds a different checksum than %s", ErrExists, u.URL(u.key+store.ChecksumExt), u.local.path+store.ChecksumExt)
	}
	// The same .sha256: the copy is there if the archive (at its size) and the
	// .json are too; otherwise it is sent again, over what is left of it.
	for _, sc := range []struct {
		key  string
		size int64
	}{{u.key, u.local.meta.Size}, {u.key + store.MetaExt, int64(len(u.local.metaJSON))}} {
		var info objectInfo
		err = u.rt.do(ctx, "stat "+u.URL(sc.key), func(ctx context.Context) (err error) {
			info, err = u.store.stat(ctx, sc.key)
			return err
		})
		switch {
		case errors.Is(err, errNotFound) || err == nil && info.Size != sc.size:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("offsite: %w", err)
		}
	}
	return true, nil
}

// archive uploads the archive itself, returning the number of parts (0 for one request).
func (u *uploader) archive(ctx context.Context) (int, error) {
	size := u.local.meta.Size
	if size <= u.opts.PartSize {
		if err := u.putFile(ctx); err != nil {
			return 0, fmt.Errorf("offsite: upload %s: %w", u.URL(u.key), err)
		}
		return 0, u.checkStored(ctx, nil)
	}
	parts, err := u.multipart(ctx)
	if err != nil {
		return 0, fmt.Errorf("offsite: upload %s: %w", u.URL(u.key), err)
	}
	return len(parts), u.checkStored(ctx, parts)
}

// putFile sends an archive of at most one part in one request.
func (u *uploader) putFile(ctx context.Context) error {
	size := u.local.meta.Size
	if _, err := hashSection(ctx, u.src, 0, size, u.local.sum, nil, nil); err != nil {
		return err
	}
	return u.rt.do(ctx, "put", func(ctx context.Context) error {
		return u.sendSection(ctx, 0, size, u.local.sum, func(ctx context.Context, body io.Reader) error {
			return u.store.put(ctx, u.key, body, size, u.local.sum)
		})
	})
}

// sendSection runs send with the archive's bytes [off, off+n) as the body and
// checks that what was read for it still has the SHA-256 want: the bytes sent
// are exactly the bytes hashed before.
func (u *uploader) sendSection(ctx context.Context, off, n int64, want []byte, send func(context.Context, io.Reader) error) error {
	h := sha256.New()
	body := io.TeeReader(io.NewSectionReader(u.src, off, n), h)
	err := guardStall(ctx, u.opts.StallTimeout, countingReader{body, &u.sent}, send)
	if err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return permanent(fmt.Errorf("%w: %s changed while it was uploaded", store.ErrChecksumMismatch, u.src.Name()))
	}
	return nil
}

// putSmall stores a sidecar in one request.
func (u *uploader) putSmall(ctx context.Context, key string, data []byte) error {
	sum := sha256.Sum256(data)
	return u.rt.do(ctx, "put", func(ctx context.Context) error {
		return u.store.put(ctx, key, bytes.NewReader(data), int64(len(data)), sum[:])
	})
}

// readSmall reads a whole object of at most limit bytes.
func (u *uploader) readSmall(ctx context.Context, key string, limit int64) ([]byte, error) {
	return readObject(ctx, u.store, key, limit)
}

// checkStored checks the archive object now under the key: its size, and the
// SHA-256 the server recorded (single requests) or the multipart ETag of the
// parts sent. A mismatch removes the object: it is not the copy we sent.
func (u *uploader) checkStored(ctx context.Context, parts []uploadedPart) error {
	var info objectInfo
	err := u.rt.do(ctx, "stat "+u.URL(u.key), func(ctx context.Context) (err error) {
		info, err = u.store.stat(ctx, u.key)
		return err
	})
	if err != nil {
		return fmt.Errorf("offsite: check the upload: %w", err)
	}
	var problem string
	switch {
	case info.Size != u.local.meta.Size:
		problem = fmt.Sprintf("is %d bytes, not %d", info.Size, u.local.meta.Size)
	case parts == nil && info.SHA256 != nil && !bytes.Equal(info.SHA256, u.local.sum):
		problem = "has a different SHA-256 on the server"
	case parts != nil && isMultipartETag(info.ETag, len(parts)) && multipartETag(parts) != "" &&
		strings.Trim(info.ETag, `"`) != multipartETag(parts):
		problem = "is not the object whose parts were sent (ETag " + info.ETag + ")"
	}
	if problem == "" {
		return nil
	}
	_ = u.rt.do(ctx, "remove", func(ctx context.Context) error { return u.store.remove(ctx, u.key) })
	return fmt.Errorf("offsite: %w: %s %s once uploaded; removed", store.ErrChecksumMismatch, u.URL(u.key), problem)
}

// readObject reads a whole object of at most limit bytes in one request.
func readObject(ctx context.Context, st objectStore, key string, limit int64) ([]byte, error) {
	body, info, err := st.get(ctx, key, 0, "")
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if info.Size > limit {
		return nil, permanent(fmt.Errorf("%s is %d bytes, more than the %d a sidecar may have", key, info.Size, limit))
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, permanent(fmt.Errorf("%s is more than the %d bytes a sidecar may have", key, limit))
	}
	return data, nil
}

// countingReader adds what is read through it to n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// permanentError marks an error no retry can fix, whatever it wraps.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }
