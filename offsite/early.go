package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baktainer/baktainer/store"
)

// Growing is an archive still being written, as an early copy sees it
// (store.Pending gives each field).
type Growing struct {
	Name    string
	Created time.Time
	// File is the name the commit gives the archive unless another archive
	// took it meanwhile: the copy's key is made from it.
	File string
	// Data is the file being written, open for reading; the Early closes it.
	Data *os.File
	// Written returns how many of Data's bytes are final.
	Written func() int64
}

// Early is an off-host copy made while its archive is written: each part of a
// multipart upload is sent as soon as the file holds it, so the network and
// the server work during the dump rather than after it. The writer never waits
// for the copy: the copy reads the file behind it. Nothing is visible under
// the key before Finish, which completes the upload only once the hash of
// every byte sent equals the committed archive's .sha256.
//
// When the early copy cannot finish (a request failed for good before the
// commit, the archive was committed under another name, a byte read differs
// from the committed file), Finish aborts it and copies the committed archive
// as Remote.Upload does. An archive of one part or less is always copied that
// way, in one request, after the commit.
type Early struct {
	remote *Remote
	up     *uploader
	data   *os.File
	file   string
	// written says how many bytes are final; Finish sends the final size.
	written func() int64
	final   chan int64
	stop    context.CancelCauseFunc
	done    chan struct{} // closed when run returns
	ended   sync.Once
	// committed is set by Finish: a request that fails after it fails while
	// the archive waits for its copy, and is not tried again from the start.
	committed atomic.Bool

	// Set by run before done is closed.
	id        string // the multipart upload; "" when none was started
	parts     []uploadedPart
	whole     []byte // SHA-256 of the bytes sent, in order
	err       error
	errLate   bool // err came after the commit
	partsLock sync.Mutex
}

// earlyPoll is how often an early copy looks whether its next part is written.
const earlyPoll = 50 * time.Millisecond

// errNotCommitted ends an early copy whose backup failed.
var errNotCommitted = errors.New("the backup ended without committing its archive")

// Begin starts copying g while it is written. Call Finish with the committed
// archive's path, or Cancel when the backup fails; either releases g.Data.
func (r *Remote) Begin(ctx context.Context, g Growing) *Early {
	ctx, stop := context.WithCancelCause(ctx)
	key := archiveKey(r.prefix, g.Name, g.Created, g.File)
	e := &Early{
		remote: r, data: g.Data, file: g.File, written: g.Written,
		final: make(chan int64, 1), stop: stop, done: make(chan struct{}),
		up: &uploader{Remote: r, rt: &retrier{policy: r.opts.Retry, log: r.opts.Log.WithField("key", key)}, src: g.Data, key: key},
	}
	go e.run(ctx)
	return e
}

// run sends the parts in order as they are written, up to
// Options.Concurrency at once, until the final size is known and reached.
func (e *Early) run(ctx context.Context) {
	defer close(e.done)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	partSize := e.remote.opts.PartSize
	whole := sha256.New()
	buf := make([]byte, hashBufferSize)
	inFlight := make(chan struct{}, e.remote.opts.Concurrency)
	var wg sync.WaitGroup
	final := int64(-1)
	for n, off := 1, int64(0); ; n, off = n+1, off+partSize {
		end, err := e.waitFor(ctx, off+partSize, &final)
		if err != nil {
			stop(err)
			break
		}
		if end <= off {
			break // all sent
		}
		if n == 1 && final >= 0 && final <= partSize {
			break // one request after the commit: Finish falls back to Upload
		}
		if err := e.sendNext(ctx, n, off, end-off, whole, buf, inFlight, &wg, stop); err != nil {
			stop(err)
			break
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		e.err, e.errLate = err, e.committed.Load()
	}
	e.whole = whole.Sum(nil)
	slices.SortFunc(e.parts, func(a, b uploadedPart) int { return a.Number - b.Number })
}

// sendNext hashes part n (bytes [off, off+length)) into whole and starts
// sending it once fewer than Concurrency parts are in flight. The first part
// starts the multipart upload.
func (e *Early) sendNext(ctx context.Context, n int, off, length int64, whole io.Writer, buf []byte,
	inFlight chan struct{}, wg *sync.WaitGroup, fail context.CancelCauseFunc) error {
	if n > maxParts {
		return permanent(fmt.Errorf("the archive needs more than %d parts of %d bytes", maxParts, e.remote.opts.PartSize))
	}
	if e.id == "" {
		err := e.up.rt.do(ctx, "start a multipart upload", func(ctx context.Context) (err error) {
			e.id, err = e.up.store.createUpload(ctx, e.up.key)
			return err
		})
		if err != nil {
			return err
		}
	}
	sum, err := hashSection(ctx, e.data, off, length, nil, whole, buf)
	if err != nil {
		return err
	}
	select {
	case inFlight <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	wg.Add(1)
	id := e.id
	go func() {
		defer func() { <-inFlight; wg.Done() }()
		etag, err := e.up.sendPart(ctx, id, n, 0, off, length, sum)
		if err != nil {
			fail(err)
			return
		}
		e.partsLock.Lock()
		e.parts = append(e.parts, uploadedPart{Number: n, ETag: etag, SHA256: sum})
		e.partsLock.Unlock()
	}()
	return nil
}

// waitFor returns want once the file holds that many final bytes, or the
// final size when it is known and smaller.
func (e *Early) waitFor(ctx context.Context, want int64, final *int64) (int64, error) {
	tick := time.NewTicker(earlyPoll)
	defer tick.Stop()
	for {
		if *final >= 0 {
			return min(want, *final), nil
		}
		if e.written() >= want {
			return want, nil
		}
		select {
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		case *final = <-e.final:
		case <-tick.C:
		}
	}
}

// Finish completes the copy of the archive committed at path, as Upload does
// (sidecars last, verified against the .sha256, an identical copy there left
// alone, a different one never overwritten). Upload.Duration counts from the
// call: the time the copy added to the backup.
func (e *Early) Finish(ctx context.Context, path string) (res Upload, err error) {
	start := time.Now()
	local, err := openLocal(path)
	if err != nil {
		e.Cancel()
		return Upload{Duration: time.Since(start)}, redact(err, e.remote.settings) // Upload would fail to open it too
	}
	if local.meta.File != e.file || !sameFile(local.file, e.data) {
		local.close()
		e.Cancel()
		return e.remote.Upload(ctx, path)
	}
	defer local.close()
	failed := func(err error) (Upload, error) {
		e.Cancel()
		return Upload{Key: e.up.key, URL: e.remote.URL(e.up.key), Size: local.meta.Size, Duration: time.Since(start)}, err
	}
	e.committed.Store(true)
	e.final <- local.meta.Size
	select {
	case <-e.done:
	case <-ctx.Done():
		return failed(fmt.Errorf("offsite: upload %s: %w", e.remote.URL(e.up.key), ctx.Err()))
	}
	if fallback, err := e.problem(local); err != nil {
		if !fallback {
			return failed(err)
		}
		e.Cancel()
		return e.remote.Upload(ctx, path)
	}
	defer e.release()
	u := e.up
	u.local = local
	res = Upload{Key: u.key, URL: e.remote.URL(u.key), Size: local.meta.Size, Parts: len(e.parts), Early: true}
	defer func() {
		res.Duration, res.Retries, res.Bytes = time.Since(start), int(u.rt.retries.Load()), u.sent.Load()
		err = redact(err, e.remote.settings)
	}()
	if res.Skipped, err = u.alreadyThere(ctx); err != nil || res.Skipped {
		u.abort(ctx, e.id)
		return res, err
	}
	if err := u.complete(ctx, e.id, e.parts); err != nil {
		u.abort(ctx, e.id)
		return res, fmt.Errorf("offsite: upload %s: %w", u.URL(u.key), err)
	}
	if err := u.checkStored(ctx, e.parts); err != nil {
		return res, err
	}
	return res, u.sidecars(ctx)
}

// problem says why the parts sent cannot become the copy of local, and whether
// copying the committed archive again may still succeed: not when a request
// failed for good after the commit (the server is down now; the next backup
// catches the copy up).
func (e *Early) problem(local *localArchive) (fallback bool, err error) {
	switch {
	case e.err != nil && e.errLate && transient(e.err):
		return false, redact(fmt.Errorf("offsite: upload %s: %w", e.remote.URL(e.up.key), e.err), e.remote.settings)
	case e.err != nil:
		e.remote.opts.Log.WithField("key", e.up.key).Warnf("off-host copy while writing failed: %v; copying the committed archive instead",
			redact(withoutURL(e.err), e.remote.settings))
		return true, e.err
	case e.id == "":
		return true, errors.New("one part: sent in one request")
	case !bytes.Equal(e.whole, local.sum):
		e.remote.opts.Log.WithField("key", e.up.key).Warnf("off-host copy while writing: the bytes sent differ from %s's .sha256; copying the committed archive instead", local.path)
		return true, fmt.Errorf("%w: the bytes sent differ from %s", store.ErrChecksumMismatch, local.path)
	}
	return false, nil
}

// Cancel stops the copy and discards what it sent. It is safe to call more
// than once, and after Finish, when it does nothing.
func (e *Early) Cancel() {
	e.stop(errNotCommitted)
	<-e.done
	e.ended.Do(func() {
		if e.id != "" {
			e.up.abort(context.Background(), e.id)
		}
		e.data.Close()
	})
}

// release closes the file once Finish made the copy.
func (e *Early) release() {
	e.ended.Do(func() { e.data.Close() })
	e.stop(nil)
}

// sameFile reports whether a and b are the same file.
func sameFile(a, b *os.File) bool {
	sa, errA := a.Stat()
	sb, errB := b.Stat()
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
