package offsite

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"
)

// objectStore is the part of the S3 API this package uses, on one bucket. The
// minio-go implementation (minioStore) talks to a real server; the unit tests'
// in-memory one scripts failures. Every method makes one request (no retries:
// retry.go decides), and returns errors that errors.As finds as *apiError when
// the server answered, so classify can tell transient from permanent ones.
type objectStore interface {
	// put stores body (exactly size bytes whose SHA-256 is sum) under key in one
	// request. The server checks the bytes against sum before the object
	// appears: a mismatch fails the request and leaves the key as it was.
	put(ctx context.Context, key string, body io.Reader, size int64, sum []byte) error
	// createUpload starts a multipart upload of key with SHA-256 part checksums.
	// Nothing is visible under key until completeUpload succeeds.
	createUpload(ctx context.Context, key string) (uploadID string, err error)
	// putPart stores part number (from 1) of an upload; the server checks its
	// bytes against sum, the part's SHA-256. It returns the part's ETag.
	putPart(ctx context.Context, key, uploadID string, number int, body io.Reader, size int64, sum []byte) (etag string, err error)
	// completeUpload makes the parts, in order, the object under key, at once.
	completeUpload(ctx context.Context, key, uploadID string, parts []uploadedPart) error
	// abortUpload discards an upload and its parts.
	abortUpload(ctx context.Context, key, uploadID string) error
	// uploads lists the multipart uploads in progress under prefix.
	uploads(ctx context.Context, prefix string) ([]pendingUpload, error)
	// stat returns an object's size, ETag and modification time; errNotFound
	// when there is none.
	stat(ctx context.Context, key string) (objectInfo, error)
	// get reads an object from offset on. With etag set, it fails unless the
	// object still has that ETag (so a resumed read never mixes two objects).
	get(ctx context.Context, key string, offset int64, etag string) (io.ReadCloser, objectInfo, error)
	// list returns every object whose key starts with prefix, at most limit of
	// them (errTooMany beyond).
	list(ctx context.Context, prefix string, limit int) ([]objectInfo, error)
	// remove deletes key; deleting a missing key succeeds.
	remove(ctx context.Context, key string) error
}

// objectInfo is what a listing or a stat says about one object.
type objectInfo struct {
	Key      string
	Size     int64
	ETag     string
	Modified time.Time
	// SHA256 is the object's SHA-256 as the server recorded it (single-request
	// uploads), empty when it did not say.
	SHA256 []byte
}

// uploadedPart is one part of a multipart upload, for completeUpload.
type uploadedPart struct {
	Number int
	ETag   string
	SHA256 []byte
}

// pendingUpload is a multipart upload not yet completed or aborted.
type pendingUpload struct {
	Key, UploadID string
	Initiated     time.Time
}

// apiError is an error answer from the S3 server.
type apiError struct {
	Status  int    // HTTP status
	Code    string // S3 error code, e.g. NoSuchBucket
	Message string
}

func (e *apiError) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg + " (HTTP " + strconv.Itoa(e.Status) + ")"
}

var (
	errNotFound = errors.New("no such object")
	errTooMany  = errors.New("too many objects")
)
