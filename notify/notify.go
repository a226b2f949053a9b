// Package notify tells people about backups: each Event goes to every configured
// sink (shoutrrr service URLs, Slack/Discord/Teams webhooks through shoutrrr, and a
// generic JSON webhook). Sending happens in the background: Notify never blocks and
// never fails, and a sink that fails or hangs is logged and given up on.
package notify

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Kind names what happened.
type Kind string

// The events baktainer notifies about.
const (
	BackupSucceeded Kind = "backup.succeeded"
	BackupFailed    Kind = "backup.failed"
	// OffsiteFailed: the backup was made on the host, its copy off the host
	// failed (sent with the failures, BT_NOTIFY_FAILURES).
	OffsiteFailed Kind = "offsite.failed"
	Warning       Kind = "warning"
	// A test-restore of an archive into a scratch container passed or failed
	// (sent as BT_NOTIFY_SUCCESS and BT_NOTIFY_FAILURES say).
	RestoreTestSucceeded Kind = "restore_test.succeeded"
	RestoreTestFailed    Kind = "restore_test.failed"
)

// Event is one notification. It carries no secret: callers fill it from names,
// sizes and scrubbed error messages only, never from labels or environments.
type Event struct {
	Kind            Kind      `json:"event"`
	Time            time.Time `json:"time"`
	Host            string    `json:"host,omitempty"`
	Name            string    `json:"name,omitempty"` // the backup's name
	Container       string    `json:"container,omitempty"`
	Engine          string    `json:"engine,omitempty"`
	Database        string    `json:"database,omitempty"`
	AttemptID       string    `json:"attempt_id,omitempty"`
	Trigger         string    `json:"trigger,omitempty"`
	Archive         string    `json:"archive,omitempty"`   // as a consumer sees it: <volume>:<path>, or a path
	HostPath        string    `json:"host_path,omitempty"` // the archive's path on the host, when known
	SizeBytes       int64     `json:"size_bytes,omitempty"`
	DurationSeconds float64   `json:"duration_seconds,omitempty"`
	Tries           int       `json:"tries,omitempty"`
	Error           string    `json:"error,omitempty"`
	ErrorKind       string    `json:"error_kind,omitempty"`
	Check           string    `json:"check,omitempty"` // the test-restore's check that failed
	Message         string    `json:"message"`         // one line for people
}

// Title is a short headline for chat services.
func (e Event) Title() string {
	switch e.Kind {
	case BackupSucceeded:
		return fmt.Sprintf("baktainer on %s: backup of %s succeeded", e.Host, e.Name)
	case BackupFailed:
		return fmt.Sprintf("baktainer on %s: backup of %s FAILED", e.Host, e.Name)
	case RestoreTestSucceeded:
		return fmt.Sprintf("baktainer on %s: test-restore of %s passed", e.Host, e.Name)
	case RestoreTestFailed:
		return fmt.Sprintf("baktainer on %s: test-restore of %s FAILED", e.Host, e.Name)
	case OffsiteFailed:
		return fmt.Sprintf("baktainer on %s: off-host copy of %s FAILED", e.Host, e.Name)
	}
	return fmt.Sprintf("baktainer on %s: warning", e.Host)
}

// Settings choose where notifications go and which are sent.
type Settings struct {
	URLs      []string // shoutrrr service URLs
	Slack     string   // Slack incoming webhook URL
	Discord   string   // Discord webhook URL
	Teams     string   // Teams incoming webhook URL
	Webhook   string   // generic JSON POST
	OnSuccess bool
	OnFailure bool
	OnWarning bool
	Timeout   time.Duration // per sink and event
}

// Configured reports whether any destination is set.
func (s Settings) Configured() bool {
	return len(s.URLs) > 0 || s.Slack != "" || s.Discord != "" || s.Teams != "" || s.Webhook != ""
}

func (s Settings) wants(k Kind) bool {
	switch k {
	case BackupSucceeded, RestoreTestSucceeded:
		return s.OnSuccess
	case BackupFailed, RestoreTestFailed, OffsiteFailed:
		return s.OnFailure
	}
	return s.OnWarning
}

// Sink delivers events to one destination.
type Sink interface {
	// Describe names the sink for logs without giving its URL (which holds tokens).
	Describe() string
	// Send delivers e, giving up when ctx ends.
	Send(ctx context.Context, e Event) error
}

// queueSize bounds the events waiting to be sent; beyond it new events are dropped
// (and logged) rather than ever slowing a backup down.
const queueSize = 512

// Notifier sends events to its sinks in the background.
type Notifier struct {
	settings Settings
	sinks    []Sink
	queue    chan Event
	done     chan struct{}
	log      *logrus.Entry
	host     string
}

// New builds the sinks the settings name. It fails on a URL no sink accepts (the
// error never repeats the URL).
func New(s Settings, log *logrus.Entry, extra ...Sink) (*Notifier, error) {
	sinks, err := buildSinks(s)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	return &Notifier{settings: s, sinks: append(sinks, extra...), queue: make(chan Event, queueSize),
		done: make(chan struct{}), log: log.WithField("component", "notify"), host: host}, nil
}

// Notify queues e for every sink, when the settings ask for its kind. It never
// blocks.
func (n *Notifier) Notify(e Event) {
	if len(n.sinks) == 0 || !n.settings.wants(e.Kind) {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if e.Host == "" {
		e.Host = n.host
	}
	select {
	case n.queue <- e:
	default:
		n.log.WithField("event", e.Kind).Warn("notification dropped: too many are waiting to be sent")
	}
}

// Run sends queued events until ctx ends, then sends what is still queued within
// the timeout of one send, and returns.
func (n *Notifier) Run(ctx context.Context) {
	defer close(n.done)
	for {
		select {
		case e := <-n.queue:
			n.send(ctx, e)
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.settings.Timeout)
			defer cancel()
			for {
				select {
				case e := <-n.queue:
					n.send(drain, e)
				default:
					return
				}
			}
		}
	}
}

// Done is closed when Run has returned.
func (n *Notifier) Done() <-chan struct{} { return n.done }

// send delivers e to every sink at once, so one slow sink does not delay the others.
func (n *Notifier) send(ctx context.Context, e Event) {
	var wg sync.WaitGroup
	for _, s := range n.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, n.settings.Timeout)
			defer cancel()
			if err := s.Send(sctx, e); err != nil {
				n.log.WithFields(logrus.Fields{"sink": s.Describe(), "event": e.Kind, "name": e.Name}).
					Warnf("notification failed (the backup is not affected): %s", ScrubURLs(err.Error()))
			}
		}()
	}
	wg.Wait()
}

var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"']+`)

// ScrubURLs replaces every URL in s: errors of HTTP clients quote the URL they
// failed on, and webhook URLs carry their tokens.
func ScrubURLs(s string) string { return urlPattern.ReplaceAllString(s, "<url>") }
