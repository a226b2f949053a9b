package agent

import (
	"context"
	"errors"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/notify"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// fakeOffsite is an in-memory off-host place whose server can be down. It
// keeps each copy's metadata under the key the layout gives it.
type fakeOffsite struct {
	mu       sync.Mutex
	copies   map[string]store.Meta // key → metadata
	down     error                 // every call fails with it while set
	uploads  []string              // local paths uploaded, in order
	policies []store.Policy        // what each Prune was asked to apply
}

var _ Offsite = (*fakeOffsite)(nil)

func newFakeOffsite() *fakeOffsite { return &fakeOffsite{copies: map[string]store.Meta{}} }

func (f *fakeOffsite) setDown(err error) { f.mu.Lock(); f.down = err; f.mu.Unlock() }

func fakeKey(m store.Meta) string {
	return path.Join(m.Name, m.Created.UTC().Format("2006-01-02"), m.File)
}

func (f *fakeOffsite) Upload(_ context.Context, p string) (offsite.Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return offsite.Upload{Retries: 6, Duration: time.Millisecond}, f.down
	}
	m, err := store.ReadMetaFile(p)
	if err != nil {
		return offsite.Upload{}, err
	}
	key := fakeKey(m)
	_, there := f.copies[key]
	f.copies[key] = m
	f.uploads = append(f.uploads, p)
	return offsite.Upload{Key: key, URL: "s3://bucket/" + key, Size: m.Size, Bytes: m.Size, Duration: time.Millisecond, Skipped: there}, nil
}

func (f *fakeOffsite) List(_ context.Context, name string) (offsite.Listing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return offsite.Listing{}, f.down
	}
	var l offsite.Listing
	for key, m := range f.copies {
		if m.Name == name {
			l.Copies = append(l.Copies, offsite.Copy{Key: key, Meta: m})
		}
	}
	return l, nil
}

func (f *fakeOffsite) Prune(ctx context.Context, name string, p store.Policy, now time.Time, opts offsite.PruneOptions) (offsite.Pruned, error) {
	l, err := f.List(ctx, name)
	if err != nil {
		return offsite.Pruned{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.policies = append(f.policies, p)
	res := offsite.Pruned{Decisions: store.Plan(l.Archives(), p, now, store.Facts{JustCommitted: opts.Verified})}
	for _, d := range res.Decisions {
		if !d.Keep {
			delete(f.copies, d.Archive.Path)
		}
	}
	return res, nil
}

func (f *fakeOffsite) String() string { return "https://s3.example.com/bucket" }

func (f *fakeOffsite) count() (copies, uploads int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.copies), len(f.uploads)
}

// startWithOffsite runs an agent whose one directory is copied to off, with
// one target, db, whose dumps are complete.
func startWithOffsite(t *testing.T, env map[string]string, off Offsite) *rig {
	t.Helper()
	r := startRig(t, env, nil, Deps{Destinations: Directory{Dir: t.TempDir(), Offsite: off}})
	r.docker.OnExec(writes(goodDump, nil))
	r.start("db")
	r.registered("db")
	return r
}

// A backup is copied off the host after its local commit; the attempt, the
// target's report and /health say so.
func TestOffsiteCopyAfterCommit(t *testing.T) {
	t.Parallel()
	off := newFakeOffsite()
	r := startWithOffsite(t, nil, off)
	att := r.runNow("db")
	if att.Outcome != Succeeded || att.Offsite == nil || att.Offsite.Outcome != Succeeded ||
		!strings.HasPrefix(att.Offsite.URL, "s3://bucket/db/") || att.Offsite.Remote != off.String() {
		t.Fatalf("attempt: %+v, copy %+v", att, att.Offsite)
	}
	if copies, _ := off.count(); copies != 1 {
		t.Errorf("%d copies, want 1", copies)
	}
	rep := r.report("db")
	if rep.State != StateOK || rep.Offsite == nil || rep.Offsite.Failing || rep.Offsite.LastSuccess.IsZero() || rep.Offsite.Overdue {
		t.Errorf("report: state %s, %+v", rep.State, rep.Offsite)
	}
}

// An upload that fails after its retries makes the attempt "local ok, off-host
// copy failed": the archive stays, the target is offsite_failing, a
// notification goes out with the failures; the next backup after the server
// returns copies its archive and the one that missed its copy.
func TestOffsiteFailureIsVisibleAndCaughtUp(t *testing.T) {
	t.Parallel()
	off := newFakeOffsite()
	off.setDown(errors.New("offsite: upload s3://bucket/db/...: put: connection refused (gave up after 7 attempts)"))
	r := startWithOffsite(t, nil, off)
	failed := r.runNow("db")
	if failed.Outcome != Succeeded || !failed.Offsite.Failed() || !strings.Contains(failed.Offsite.Error, "connection refused") {
		t.Fatalf("attempt with the server down: %+v, copy %+v", failed, failed.Offsite)
	}
	if _, err := os.Stat(failed.Archive); err != nil {
		t.Errorf("the local archive: %v", err)
	}
	rep := r.report("db")
	if rep.State != StateOffsiteFailing || !rep.Offsite.Failing || rep.Offsite.LastError == "" {
		t.Errorf("report after the failed copy: state %s, %+v", rep.State, rep.Offsite)
	}
	if got := r.agent.History().Recent("db", 1); len(got) != 1 || !got[0].Offsite.Failed() {
		t.Errorf("history: %+v", got)
	}

	time.Sleep(1100 * time.Millisecond) // the next archive gets another name
	off.setDown(nil)
	next := r.runNow("db")
	if !next.Offsite.Succeeded() || next.Offsite.CaughtUp != 1 || next.Offsite.Missing != 0 {
		t.Fatalf("the next backup's copy: %+v", next.Offsite)
	}
	if copies, _ := off.count(); copies != 2 {
		t.Errorf("%d copies after the catch-up, want 2", copies)
	}
	if rep := r.report("db"); rep.State != StateOK || rep.Offsite.Failing {
		t.Errorf("report after the catch-up: state %s, %+v", rep.State, rep.Offsite)
	}
}

// A failed copy is notified with the failures, naming the remote and the error.
func TestOffsiteFailureNotified(t *testing.T) {
	t.Parallel()
	sink := &eventSink{}
	n, err := notify.New(notify.Settings{OnFailure: true, OnSuccess: false}, quietLog(), sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Run(ctx)
	notifyObserver{n}.BackupFinished(Attempt{Name: "db", Container: "db", Engine: "fake", Outcome: Succeeded,
		Archive: "/b/db/x.dump.zst", Offsite: &OffsiteCopy{Remote: "https://s3.example.com/bucket", Outcome: Failed, Error: "connection refused"}})
	notifyObserver{n}.BackupFinished(Attempt{Name: "db", Container: "db", Engine: "fake", Outcome: Succeeded,
		Offsite: &OffsiteCopy{Outcome: Succeeded}})
	waitFor(t, "the notification", func() bool { return len(sink.got()) == 1 })
	e := sink.got()[0]
	if e.Kind != notify.OffsiteFailed || !strings.Contains(e.Message, "OFF-HOST COPY to https://s3.example.com/bucket FAILED: connection refused") {
		t.Errorf("notification: %+v", e)
	}
	time.Sleep(50 * time.Millisecond)
	if len(sink.got()) != 1 {
		t.Errorf("the successful copy was notified without BT_NOTIFY_SUCCESS: %+v", sink.got())
	}
}

// /health's overdue rule holds for the copies too: a target backed up on time
// whose copies keep failing becomes overdue when its copies are, with a reason
// that says so.
func TestOffsiteOverdue(t *testing.T) {
	t.Parallel()
	off := newFakeOffsite()
	r := startWithOffsite(t, nil, off)
	r.runNow("db")
	time.Sleep(1100 * time.Millisecond)
	off.setDown(errors.New("connection refused"))
	r.runNow("db")
	e := r.entry("db")
	grace := r.agent.grace()
	now := time.Now()
	if rep := r.agent.report(e, now, grace); rep.Overdue {
		t.Fatalf("overdue at once: %+v", rep.Offsite)
	}
	// Two days later (the schedule is daily) with the local backups on time:
	// pretend the last one just succeeded locally by looking at the copies only.
	later := now.Add(50 * time.Hour)
	rep := r.agent.report(e, later, grace)
	if !rep.Offsite.Overdue || rep.Offsite.DeadlineFrom != FromOffsiteSuccess {
		t.Fatalf("copies two days late: %+v", rep.Offsite)
	}
	counts, bad := targetChecks([]TargetReport{withLocalOnTime(rep, later)}, later)
	if counts.Overdue != 1 || len(bad) != 1 || !strings.Contains(bad[0].Detail, "the last backup copied off the host") ||
		!strings.Contains(bad[0].Detail, "the last copy failed: connection refused") {
		t.Errorf("health: %+v %+v", counts, bad)
	}
}

// withLocalOnTime is r as if its local backups were on time at now.
func withLocalOnTime(r TargetReport, now time.Time) TargetReport {
	r.Deadline = now.Add(time.Hour)
	return r
}

// The remote copies' policy is the local one, then BT_S3_RETENTION_*, then the
// destination's own overrides, rule by rule.
func TestOffsitePolicyLayers(t *testing.T) {
	t.Parallel()
	off := newFakeOffsite()
	three, days := 3, 90
	r := startRig(t, map[string]string{"BT_RETENTION_COUNT": "2", "BT_RETENTION_DAILY": "7"}, nil)
	r.agent.cfg.S3Retention = labels.Retention{Count: &three}
	d := Destination{Root: t.TempDir(), Offsite: off, OffsiteRetention: labels.Retention{Days: &days}}
	target := engines.Target{Container: docker.Container{Name: "db"}}
	p := r.agent.offsitePolicy(d, target)
	if p.MaxCount != 3 || p.KeepDaily != 7 || p.MaxAge != 90*24*time.Hour {
		t.Errorf("remote policy %+v", p)
	}
	if local := r.agent.policy(d, target); local.MaxCount != 2 || local.MaxAge != 0 {
		t.Errorf("local policy %+v", local)
	}
}

// report returns the target report of a backup name.
func (r *rig) report(name string) TargetReport {
	r.t.Helper()
	for _, rep := range r.agent.TargetReports(context.Background()) {
		if rep.Name == name {
			return rep
		}
	}
	r.t.Fatalf("no target %s", name)
	return TargetReport{}
}

// entry returns the registered entry of a backup name.
func (r *rig) entry(name string) *entry {
	r.t.Helper()
	e, err := r.agent.targets.find(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return e
}

// eventSink is a notification sink that keeps what it is sent.
type eventSink struct {
	mu     sync.Mutex
	events []notify.Event
}

func (s *eventSink) Describe() string { return "test sink" }
func (s *eventSink) Send(_ context.Context, e notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return nil
}
func (s *eventSink) got() []notify.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Event(nil), s.events...)
}
