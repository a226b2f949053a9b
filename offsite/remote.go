// Package offsite keeps copies of committed archives in an S3-compatible bucket,
// so a backup survives the loss of its host: upload (while the archive is
// written, early.go, or of a committed file, upload.go; in constant memory),
// listing, a streaming verified read for verify and restore, and retention of
// the remote copies.
//
// A copy is the archive and its two sidecars under PREFIX/<name>/<date>/<file>,
// the local layout, so `aws s3 cp`/`mc cp` and `sha256sum -c` open it with stock
// tools. The sidecars are uploaded last, the .sha256 after the .json: a copy
// counts only when all three objects are there, and removal goes the other way
// round. The package imports store (for Meta and Plan), never agent or plugin:
// it returns what happened (bytes, duration, retries) for the caller to record.
// docs/OFFSITE.md is the user's side of it.
package offsite

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Options tune a Remote; the zero value is the production default.
type Options struct {
	// Log receives a warning for each retried request. Nil discards.
	Log *logrus.Entry
	// Retry is the retry policy; zero fields take DefaultRetry's.
	Retry RetryPolicy
	// PartSize is the size of a multipart upload's parts; 0 for DefaultPartSize.
	// Archives up to one part go in one request. Memory does not grow with it.
	PartSize int64
	// Concurrency is how many parts of one upload are sent at once; 0 for
	// DefaultConcurrency. Memory does not grow with it (parts are read from the
	// file as they are sent), the load on the link and the server does.
	Concurrency int
	// StallTimeout cancels a request whose body has not moved for that long;
	// 0 for one minute.
	StallTimeout time.Duration
}

// DefaultPartSize is the size of a multipart upload's parts (S3 allows 5 MiB to
// 5 GiB and 10,000 parts; larger archives get larger parts).
const DefaultPartSize = 16 << 20

// DefaultConcurrency is Options.Concurrency's default.
const DefaultConcurrency = 2

// Remote is one bucket and prefix of off-host copies. Its methods are safe for
// concurrent use.
type Remote struct {
	settings Settings
	prefix   string
	store    objectStore
	opts     Options
}

// New checks s and prepares a Remote. It reads the CA file, but sends nothing to
// the server: the first upload or listing does.
func New(s Settings, opts Options) (*Remote, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("offsite: %w", err)
	}
	st, err := newMinioStore(s)
	if err != nil {
		return nil, redact(err, s)
	}
	return newRemote(s, st, opts), nil
}

func newRemote(s Settings, st objectStore, opts Options) *Remote {
	if opts.Log == nil {
		l := logrus.New()
		l.Out = io.Discard
		opts.Log = logrus.NewEntry(l)
	}
	opts.Log = opts.Log.WithField("remote", s.String())
	opts.Retry = opts.Retry.withDefaults()
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	opts.PartSize = max(opts.PartSize, minPartSize)
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = time.Minute
	}
	return &Remote{settings: s, prefix: s.cleanPrefix(), store: st, opts: opts}
}

// String names the remote as Settings.String does.
func (r *Remote) String() string { return r.settings.String() }

// URL returns the s3:// address of key in the remote's bucket.
func (r *Remote) URL(key string) string { return URL{Bucket: r.settings.Bucket, Key: key}.String() }

// minPartSize is S3's smallest part (but the last).
const minPartSize = 5 << 20

// redact hides the credentials of s in err's text (while errors.Is and As still
// see through it): no error of this package may carry them, whatever a library
// underneath put in its message.
func redact(err error, s Settings) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, secret := range []string{s.SecretKey, s.AccessKey} {
		if len(secret) >= 4 {
			clean = strings.ReplaceAll(clean, secret, "[redacted]")
		}
	}
	if clean == msg {
		return err
	}
	return redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// Errors callers can tell apart with errors.Is.
var (
	// ErrNotFound means the archive or copy asked for is not in the bucket.
	ErrNotFound = errors.New("offsite: not found")
	// ErrExists means a different archive already has the key: nothing is overwritten.
	ErrExists = errors.New("offsite: a different copy already has this key")
)
