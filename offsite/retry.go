package offsite

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// RetryPolicy says how often and how patiently a request that failed for a
// transient reason (the network, a 5xx answer, throttling, a timeout) is tried
// again. Permanent failures (refused credentials, a missing bucket, a bad
// request) are never retried.
type RetryPolicy struct {
	// Attempts is how many times one request is tried in all (at least 1).
	Attempts int
	// First is the wait after the first failure; each later wait doubles, up to Max.
	First, Max time.Duration
}

// DefaultRetry rides out a server restart or a dropped connection: waits of 1,
// 2, 4, 8, 16 and 30 s, about a minute before giving up.
var DefaultRetry = RetryPolicy{Attempts: 7, First: time.Second, Max: 30 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts < 1 {
		p.Attempts = DefaultRetry.Attempts
	}
	if p.First <= 0 {
		p.First = DefaultRetry.First
	}
	if p.Max < p.First {
		p.Max = max(DefaultRetry.Max, p.First)
	}
	return p
}

// wait returns the wait after the n-th failure (n from 1).
func (p RetryPolicy) wait(n int) time.Duration {
	d := p.First
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// retrier runs requests under a RetryPolicy, counting the retries it made.
type retrier struct {
	policy  RetryPolicy
	log     *logrus.Entry
	retries atomic.Int32 // parts may be sent concurrently
}

// do runs req until it succeeds, fails permanently, or has been tried
// policy.Attempts times. what names the request in logs and errors.
func (r *retrier) do(ctx context.Context, what string, req func(context.Context) error) error {
	var err error
	refusedBytes := 0
	for attempt := 1; ; attempt++ {
		if err = req(ctx); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		err = withoutURL(err)
		if !transient(err) {
			return fmt.Errorf("%s: %w", what, err)
		}
		// Bytes damaged on the way are worth one more try; a second refusal
		// means something on the path damages them every time.
		if refusedChecksum(err) {
			if refusedBytes++; refusedBytes > 1 {
				return fmt.Errorf("%s: the server refused the bytes twice for not matching their checksum: %w", what, err)
			}
		}
		if attempt >= r.policy.Attempts {
			return fmt.Errorf("%s: %w (gave up after %d attempts)", what, err, attempt)
		}
		wait := r.policy.wait(attempt)
		r.log.WithFields(logrus.Fields{"attempt": attempt, "retry_in": wait.String()}).
			Warnf("off-host copy: %s: %v; retrying", what, err)
		r.retries.Add(1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (while waiting to retry after: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// refusedChecksum reports whether the server refused a request's bytes for not
// matching the SHA-256 sent with them.
func refusedChecksum(err error) bool {
	var api *apiError
	return errors.As(err, &api) && (api.Code == "BadDigest" || api.Code == "XAmzContentSHA256Mismatch" || api.Code == "XAmzContentChecksumMismatch")
}

// withoutURL drops the request URL net/http puts in its errors: the caller's
// message names the bucket and key already, and the URL adds query noise.
func withoutURL(err error) error {
	var u *url.Error
	if errors.As(err, &u) && u.Err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(u.Op), u.Err)
	}
	return err
}

// transient reports whether a failed request may succeed when tried again.
func transient(err error) bool {
	var perm permanentError
	if errors.As(err, &perm) {
		return false
	}
	var api *apiError
	if errors.As(err, &api) {
		switch api.Code {
		case "RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "OperationAborted",
			// The bytes the server received differ from what was sent: damage in
			// transit. Retried once (retrier.do); a local file that changed fails
			// our own check.
			"BadDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch", "IncompleteBody":
			return true
		}
		return api.Status >= 500 || api.Status == http.StatusTooManyRequests || api.Status == http.StatusRequestTimeout
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return false // a TLS setup problem: no retry will fix it
	case errors.Is(err, errStalled), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) // timeouts, DNS failures, closed connections
}

// errStalled is the error of a request whose body stopped moving.
var errStalled = errors.New("no progress for too long")

// stallGuard cancels a request when its body stops being read for longer than
// limit: a dead peer that TCP has not noticed yet would otherwise hang the
// upload for many minutes.
type stallGuard struct {
	r        io.Reader
	touched  chan struct{}
	finished chan struct{} // closed at the body's end: the answer's wait has its own timeout
	ended    bool
}

// guardStall runs req with body wrapped so that no progress for limit cancels
// req's context; the error is then errStalled.
func guardStall(ctx context.Context, limit time.Duration, body io.Reader, req func(context.Context, io.Reader) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g := &stallGuard{r: body, touched: make(chan struct{}, 1), finished: make(chan struct{})}
	done := make(chan struct{})
	defer close(done)
	go func() {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-g.finished:
				return
			case <-g.touched:
				timer.Reset(limit)
			case <-timer.C:
				cancel(errStalled)
				return
			}
		}
	}()
	err := req(ctx, g)
	if err != nil && errors.Is(context.Cause(ctx), errStalled) {
		return fmt.Errorf("%w (%s)", errStalled, limit)
	}
	return err
}

func (g *stallGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err == io.EOF && !g.ended {
		g.ended = true
		close(g.finished)
	}
	if n > 0 {
		select {
		case g.touched <- struct{}{}:
		default:
		}
	}
	return n, err
}
