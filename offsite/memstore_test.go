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
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// memStore is an in-memory objectStore that checks checksums as a server
// does and fails requests on cue: failures[op] is a queue of errors the next
// calls of op return (nil lets a call through).
type memStore struct {
	mu       sync.Mutex
	objects  map[string]memObject
	pending  map[string]*memUpload
	failures map[string][]error
	calls    map[string]int
	nextID   int
	// cutReads cuts the body of a get longer than that many bytes after them,
	// once per entry.
	cutReads []int64
}

type memObject struct {
	data     []byte
	modified time.Time
	sum      []byte // recorded SHA-256 of single-request uploads
	etag     string // multipart objects' ETag; others have their MD5
}

type memUpload struct {
	key   string
	parts map[int][]byte
	start time.Time
}

var _ objectStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{objects: map[string]memObject{}, pending: map[string]*memUpload{}, failures: map[string][]error{}, calls: map[string]int{}}
}

// fail queues errs for the next calls of op.
func (m *memStore) fail(op string, errs ...error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[op] = append(m.failures[op], errs...)
}

func (m *memStore) next(op string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[op]++
	if q := m.failures[op]; len(q) > 0 {
		m.failures[op] = q[1:]
		return q[0]
	}
	return nil
}

func (m *memStore) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.objects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (m *memStore) set(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memObject{data: data, modified: time.Now()}
}

var errDigest = &apiError{Status: 400, Code: "XAmzContentSHA256Mismatch"}

func readChecked(body io.Reader, size int64, sum []byte) ([]byte, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != size {
		return nil, &apiError{Status: 400, Code: "IncompleteBody"}
	}
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, errDigest
	}
	return data, nil
}

func (m *memStore) put(ctx context.Context, key string, body io.Reader, size int64, sum []byte) error {
	if err := m.next("put"); err != nil {
		return err
	}
	data, err := readChecked(body, size, sum)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memObject{data: data, modified: time.Now(), sum: sum}
	return nil
}

func (m *memStore) createUpload(ctx context.Context, key string) (string, error) {
	if err := m.next("createUpload"); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	id := fmt.Sprintf("upload-%d", m.nextID)
	m.pending[id] = &memUpload{key: key, parts: map[int][]byte{}, start: time.Now()}
	return id, nil
}

func (m *memStore) putPart(ctx context.Context, key, uploadID string, number int, body io.Reader, size int64, sum []byte) (string, error) {
	if err := m.next("putPart"); err != nil {
		return "", err
	}
	data, err := readChecked(body, size, sum)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.pending[uploadID]
	if u == nil || u.key != key {
		return "", &apiError{Status: 404, Code: "NoSuchUpload"}
	}
	u.parts[number] = data
	etag := md5.Sum(data)
	return hex.EncodeToString(etag[:]), nil
}

// answerLost is a queued failure that happens after the request did its work:
// the connection broke before the answer came back.
type answerLost struct{ err error }

func (a answerLost) Error() string { return a.err.Error() }

func (m *memStore) completeUpload(ctx context.Context, key, uploadID string, parts []uploadedPart) (err error) {
	if failure := m.next("completeUpload"); failure != nil {
		var lost answerLost
		if !errors.As(failure, &lost) {
			return failure
		}
		defer func() { err = lost.err }()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.pending[uploadID]
	if u == nil {
		return &apiError{Status: 404, Code: "NoSuchUpload"}
	}
	var all []byte
	sums := md5.New()
	for _, p := range parts {
		all = append(all, u.parts[p.Number]...)
		partSum := md5.Sum(u.parts[p.Number])
		sums.Write(partSum[:])
	}
	delete(m.pending, uploadID)
	etag := fmt.Sprintf("%x-%d", sums.Sum(nil), len(parts))
	m.objects[key] = memObject{data: all, modified: time.Now(), etag: etag}
	return nil
}

func (m *memStore) abortUpload(ctx context.Context, key, uploadID string) error {
	if err := m.next("abortUpload"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, uploadID)
	return nil
}

func (m *memStore) uploads(ctx context.Context, prefix string) ([]pendingUpload, error) {
	if err := m.next("uploads"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pendingUpload
	for id, u := range m.pending {
		if strings.HasPrefix(u.key, prefix) {
			out = append(out, pendingUpload{Key: u.key, UploadID: id, Initiated: u.start})
		}
	}
	return out, nil
}

func (m *memStore) info(key string, o memObject) objectInfo {
	etag := o.etag
	if etag == "" {
		sum := md5.Sum(o.data)
		etag = hex.EncodeToString(sum[:])
	}
	return objectInfo{Key: key, Size: int64(len(o.data)), ETag: etag, Modified: o.modified, SHA256: o.sum}
}

func (m *memStore) stat(ctx context.Context, key string) (objectInfo, error) {
	if err := m.next("stat"); err != nil {
		return objectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return objectInfo{}, errNotFound
	}
	return m.info(key, o), nil
}

func (m *memStore) get(ctx context.Context, key string, offset int64, etag string) (io.ReadCloser, objectInfo, error) {
	if err := m.next("get"); err != nil {
		return nil, objectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return nil, objectInfo{}, errNotFound
	}
	info := m.info(key, o)
	if etag != "" && etag != info.ETag {
		return nil, objectInfo{}, &apiError{Status: 412, Code: "PreconditionFailed"}
	}
	var body io.Reader = bytes.NewReader(o.data[offset:])
	if len(m.cutReads) > 0 && int64(len(o.data))-offset > m.cutReads[0] {
		body = &cutReader{r: body, left: m.cutReads[0]}
		m.cutReads = m.cutReads[1:]
	}
	return io.NopCloser(body), info, nil
}

// cutReader fails with a reset connection after left bytes.
type cutReader struct {
	r    io.Reader
	left int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n, err := c.r.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	return n, err
}

func (m *memStore) list(ctx context.Context, prefix string, limit int) ([]objectInfo, error) {
	if err := m.next("list"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []objectInfo
	for k, o := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, m.info(k, o))
		}
	}
	if len(out) > limit {
		return nil, errTooMany
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *memStore) remove(ctx context.Context, key string) error {
	if err := m.next("remove:" + key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// errReset is what a dropped connection looks like to the client.
var errReset = fmt.Errorf("read tcp 127.0.0.1:1: %w", syscall.ECONNRESET)

// partsReceived counts the parts stored in uploads not yet completed.
func (m *memStore) partsReceived() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, u := range m.pending {
		n += len(u.parts)
	}
	return n
}

// callsOf returns how many calls of op were made.
func (m *memStore) callsOf(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}
