package offsite

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/baktainer/baktainer/store"
)

// maxParts is S3's limit on the parts of one upload.
const maxParts = 10000

// maxRestarts bounds how often a multipart upload the server lost (a restart
// that forgot it) is started again from its first part.
const maxRestarts = 2

// errUploadLost means the server no longer knows a multipart upload.
var errUploadLost = errors.New("the server lost the multipart upload")

// multipart uploads the archive in parts: each part is read twice from the
// file, once to hash it (its SHA-256 goes in the request, and into the hash of
// the whole archive) and once to send it, hashing again what is sent. The upload is
// completed only when the whole archive's hash equals its .sha256; on any
// failure it is aborted, and nothing ever appears under the key.
func (u *uploader) multipart(ctx context.Context) ([]uploadedPart, error) {
	for restart := 0; ; restart++ {
		parts, err := u.multipartOnce(ctx)
		if !errors.Is(err, errUploadLost) || restart >= maxRestarts || ctx.Err() != nil {
			return parts, err
		}
		u.rt.retries.Add(1)
		u.rt.log.Warnf("off-host copy: %v; starting the upload again", err)
	}
}

func (u *uploader) multipartOnce(ctx context.Context) (parts []uploadedPart, err error) {
	var id string
	err = u.rt.do(ctx, "start a multipart upload", func(ctx context.Context) (err error) {
		id, err = u.store.createUpload(ctx, u.key)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			u.abort(ctx, id)
		}
	}()
	whole := sha256.New()
	if parts, err = u.sendParts(ctx, id, whole); err != nil {
		return nil, err
	}
	if !bytes.Equal(whole.Sum(nil), u.local.sum) {
		return nil, fmt.Errorf("%w: the bytes read from %s differ from its .sha256", store.ErrChecksumMismatch, u.local.path)
	}
	return parts, u.complete(ctx, id, parts)
}

// sendParts hashes the parts in order, one pass over the file that also feeds
// whole, and sends up to Options.Concurrency of them at once, each read again
// from the file as it is sent: the memory is a few buffers per part in
// flight, whatever the part size. The first failure stops the rest.
func (u *uploader) sendParts(ctx context.Context, id string, whole io.Writer) ([]uploadedPart, error) {
	size := u.local.meta.Size
	partSize := partSizeFor(size, u.opts.PartSize)
	count := int((size + partSize - 1) / partSize)
	parts := make([]uploadedPart, count)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	inFlight := make(chan struct{}, u.opts.Concurrency)
	var wg sync.WaitGroup
	buf := make([]byte, hashBufferSize) // the parts are hashed one after another: one buffer
	for n, off := 1, int64(0); off < size && ctx.Err() == nil; n, off = n+1, off+partSize {
		length := min(partSize, size-off)
		sum, err := hashSection(ctx, u.src, off, length, nil, whole, buf)
		if err != nil {
			cancel(err)
			break
		}
		select {
		case inFlight <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-inFlight; wg.Done() }()
			etag, err := u.sendPart(ctx, id, n, count, off, length, sum)
			if err != nil {
				cancel(err)
			}
			parts[n-1] = uploadedPart{Number: n, ETag: etag, SHA256: sum}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return parts, nil
}

// sendPart sends part n of count (0: not known yet), bytes [off, off+length)
// whose SHA-256 is sum.
func (u *uploader) sendPart(ctx context.Context, id string, n, count int, off, length int64, sum []byte) (etag string, err error) {
	what := fmt.Sprintf("part %d", n)
	if count > 0 {
		what += fmt.Sprintf(" of %d", count)
	}
	err = u.rt.do(ctx, what, func(ctx context.Context) error {
		return u.sendSection(ctx, off, length, sum, func(ctx context.Context, body io.Reader) (err error) {
			etag, err = u.store.putPart(ctx, u.key, id, n, body, length, sum)
			return lostUpload(err)
		})
	})
	return etag, err
}

// complete completes the upload. When an attempt whose answer was lost did
// complete it, the next one finds no upload: the object then is ours if its
// ETag is the one of our parts.
func (u *uploader) complete(ctx context.Context, id string, parts []uploadedPart) error {
	tried := false
	return u.rt.do(ctx, "complete the multipart upload", func(ctx context.Context) error {
		err := lostUpload(u.store.completeUpload(ctx, u.key, id, parts))
		if errors.Is(err, errUploadLost) && tried {
			if info, statErr := u.store.stat(ctx, u.key); statErr == nil && info.ETag == multipartETag(parts) {
				return nil
			}
		}
		tried = true
		return err
	})
}

// abort discards the upload, even when ctx is done; when the server cannot be
// reached, the upload stays invisible on it until Prune aborts it.
func (u *uploader) abort(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := u.store.abortUpload(ctx, u.key, id); err != nil {
		u.rt.log.Warnf("off-host copy: abort the multipart upload of %s: %v (Prune aborts it later)", u.URL(u.key), redact(withoutURL(err), u.settings))
	}
}

// lostUpload marks a NoSuchUpload answer as errUploadLost, not worth a retry of
// the same request.
func lostUpload(err error) error {
	var api *apiError
	if errors.As(err, &api) && api.Code == "NoSuchUpload" {
		return permanent(fmt.Errorf("%w: %v", errUploadLost, err))
	}
	return err
}

// partSizeFor returns the part size for an archive of size bytes: base, or
// larger (in whole MiB) when base would need more than maxParts parts.
func partSizeFor(size, base int64) int64 {
	if (size+base-1)/base <= maxParts {
		return base
	}
	const mib = 1 << 20
	need := (size + maxParts - 1) / maxParts
	return (need + mib - 1) / mib * mib
}

// hashBufferSize is the read size of hashSection.
const hashBufferSize = 256 << 10

// hashSection returns the SHA-256 of f's bytes [off, off+n), also writing them
// to also when not nil; with want set, a different hash is an error. It reads
// through buf (hashBufferSize bytes when nil).
func hashSection(ctx context.Context, f *os.File, off, n int64, want []byte, also io.Writer, buf []byte) ([]byte, error) {
	h := sha256.New()
	var w io.Writer = h
	if also != nil {
		w = io.MultiWriter(h, also)
	}
	if buf == nil {
		buf = make([]byte, hashBufferSize)
	}
	section := io.NewSectionReader(f, off, n)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := section.Read(buf)
		w.Write(buf[:k]) // hashes never fail
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Name(), err)
		}
	}
	sum := h.Sum(nil)
	if want != nil && !bytes.Equal(sum, want) {
		return nil, permanent(fmt.Errorf("%w: %s differs from its .sha256", store.ErrChecksumMismatch, f.Name()))
	}
	return sum, nil
}

// multipartETag is the ETag S3 gives a multipart object: the MD5 of its parts'
// MD5s, then "-" and the number of parts; "" when a part's ETag is no MD5.
func multipartETag(parts []uploadedPart) string {
	h := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(b) != md5.Size {
			return ""
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// isMultipartETag reports whether etag has the multipart form for n parts.
func isMultipartETag(etag string, n int) bool {
	return strings.HasSuffix(strings.Trim(etag, `"`), "-"+strconv.Itoa(n))
}
