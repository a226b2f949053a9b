package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// The agent's test-restores against a fake TestRestorer: what drill.Run does to
// real containers is proven by integration/restore_agent_test.go.

// fakeRestorer passes every test-restore unless failWith names a check; with
// gate set, each waits for it (or its context).
type fakeRestorer struct {
	mu          sync.Mutex
	failWith    string
	gate        chan struct{}
	calls       []drill.Options
	inFlight    int
	maxInFlight int
	sweeps      []string // owners
}

func (f *fakeRestorer) TestRestore(ctx context.Context, opts drill.Options) (*drill.Report, error) {
	f.mu.Lock()
	f.calls = append(f.calls, opts)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	gate, failWith := f.gate, f.failWith
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return &drill.Report{Archive: opts.Archive}, &drill.CheckError{Check: "server ready", Err: ctx.Err()}
		}
	}
	meta, err := store.ReadMetaFile(opts.Archive)
	if err != nil {
		return &drill.Report{Archive: opts.Archive}, &drill.CheckError{Check: "open the archive", Err: err}
	}
	rep := &drill.Report{Archive: opts.Archive, SHA256: meta.SHA256, Image: "db:1", Container: "baktainer-scratch-fake",
		Duration: 1500 * time.Millisecond, Checks: []engines.Check{
			{Name: "scratch container has no network", Detail: "network mode none"},
			{Name: "restore", Detail: "fake restore completed"}},
		Restored: &store.Contents{Databases: []store.DatabaseContents{{Name: "db", Tables: []store.TableRows{{Name: "t", Rows: 3}}}}}}
	if failWith != "" {
		cause := errors.New("expected 3 rows, the restored table has 2")
		rep.Checks = append(rep.Checks, engines.Check{Name: failWith, Err: cause})
		return rep, &drill.CheckError{Check: failWith, Err: cause}
	}
	rep.Checks = append(rep.Checks, engines.Check{Name: "rows of db.t", Detail: "3"})
	return rep, nil
}

func (f *fakeRestorer) Sweep(_ context.Context, owner string, _ time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sweeps = append(f.sweeps, owner)
	return nil, nil
}

func (f *fakeRestorer) stats() (calls, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls), f.maxInFlight
}

// testRestoreRecorder keeps the test-restores the observers hear of.
type testRestoreRecorder struct {
	mu       sync.Mutex
	finished []TestRestore
}

func (*testRestoreRecorder) BackupStarted(Attempt)          {}
func (*testRestoreRecorder) BackupFinished(Attempt)         {}
func (*testRestoreRecorder) TestRestoreStarted(TestRestore) {}
func (o *testRestoreRecorder) TestRestoreFinished(tr TestRestore) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, tr)
}

func (o *testRestoreRecorder) all() []TestRestore {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]TestRestore(nil), o.finished...)
}

// startVerifying runs an agent with test-restores on the fake restorer and one
// target, db, labelled with extra.
func startVerifying(t *testing.T, env map[string]string, fr *fakeRestorer, extra ...string) (*rig, *testRestoreRecorder) {
	t.Helper()
	rec := &testRestoreRecorder{}
	r := startRig(t, env, nil, Deps{TestRestorer: fr, Observers: []Observer{rec}})
	r.docker.OnExec(writes(goodDump, nil))
	r.start("db", extra...)
	r.registered("db")
	return r, rec
}

// finishedTestRestore waits for a finished test-restore of name with outcome.
func (r *rig) finishedTestRestore(name string, outcome Outcome) TestRestore {
	r.t.Helper()
	var found TestRestore
	r.waitFor("a "+string(outcome)+" test-restore of "+name, func() bool {
		for _, tr := range r.agent.TestRestores(name, 0) {
			if tr.Outcome == outcome {
				found = tr
				return true
			}
		}
		return false
	})
	return found
}

func TestScheduledTestRestorePassesAndIsSealedIntoTheMetadata(t *testing.T) {
	fr := &fakeRestorer{}
	r, rec := startVerifying(t, map[string]string{"BT_VERIFY_CRON": "@every 1s", "BT_VERIFY_TIMEOUT": "42s"}, fr)
	att := r.runNow("db")
	tr := r.finishedTestRestore("db", Succeeded)
	if tr.Archive != att.Archive || tr.Trigger != TriggerSchedule || !tr.Recorded || tr.Counts == nil || tr.Counts.Rows != 3 {
		t.Fatalf("test-restore = %+v; want the scheduled, recorded test-restore of %s", tr, att.Archive)
	}
	fr.mu.Lock()
	opts := fr.calls[0]
	fr.mu.Unlock()
	// Root: the archive is opened through real directories from its destination down.
	if opts.Owner != r.agent.verify.owner || !strings.HasPrefix(opts.Owner, "agent-") || opts.Timeout != 42*time.Second ||
		opts.Root == "" || !strings.HasPrefix(opts.Archive, opts.Root+"/") {
		t.Errorf("drill options = %+v", opts)
	}
	meta, err := store.ReadMetaFile(att.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if v := meta.TrustedRestoreVerification(r.agent.verify.key); v == nil || v.Image != "db:1" || v.Checks != 3 {
		t.Errorf("the metadata's restore verification %+v is not sealed with the agent's key", meta.RestoreVerified)
	}
	rep := r.report("db")
	if rep.TestRestore == nil || rep.TestRestore.State != RestorePassed || rep.TestRestore.LastSuccess == nil ||
		rep.TestRestore.Schedule != "@every 1s" || rep.TestRestore.NextRun.IsZero() || rep.TestRestoreSchedule != "@every 1s" {
		t.Errorf("status of the test-restores = %+v", rep.TestRestore)
	}
	if len(rep.RecentArchives) != 1 || rep.RecentArchives[0].RestoreTest != RestorePassed || rep.RecentArchives[0].RestoreVerified.IsZero() {
		t.Errorf("archive badges = %+v", rep.RecentArchives)
	}
	waitFor(t, "the observers hear of it", func() bool { return len(rec.all()) > 0 })

	// The history outlives the agent.
	r.stop()
	h, _, err := openTestRestoreHistory(r.agent.cfg.StateDir, 10, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	if got, ok := h.get(tr.ID); !ok || got.Outcome != Succeeded || len(got.Checks) != 3 {
		t.Errorf("history of %s = %+v, %v", tr.ID, got, ok)
	}
}

// webhook collects the JSON events a webhook receives.
type webhook struct {
	mu     sync.Mutex
	events []map[string]any
}

func startWebhook(t *testing.T) (*webhook, string) {
	w := &webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		var e map[string]any
		_ = json.NewDecoder(req.Body).Decode(&e)
		w.mu.Lock()
		w.events = append(w.events, e)
		w.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

func (w *webhook) find(kind string) (map[string]any, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e["event"] == kind {
			return e, true
		}
	}
	return nil, false
}

func TestFailedTestRestoreNamesTheCheckAndIsNotified(t *testing.T) {
	hook, url := startWebhook(t)
	fr := &fakeRestorer{failWith: "rows of db.t"}
	r, rec := startVerifying(t, map[string]string{"BT_VERIFY_CRON": "@every 1s", "BT_WEBHOOK_URL": url}, fr)
	att := r.runNow("db")
	tr := r.finishedTestRestore("db", Failed)
	if tr.FailedCheck != "rows of db.t" || !strings.Contains(tr.Error, "check rows of db.t failed") || tr.Recorded {
		t.Errorf("failed test-restore = %+v", tr)
	}
	var event map[string]any
	waitFor(t, "a restore_test.failed notification", func() bool { var ok bool; event, ok = hook.find("restore_test.failed"); return ok })
	if event["check"] != "rows of db.t" || !strings.Contains(event["message"].(string), "FAILED at check") {
		t.Errorf("notification = %v", event)
	}
	if meta, err := store.ReadMetaFile(att.Archive); err != nil || meta.RestoreVerified != nil {
		t.Errorf("a failed test-restore is recorded in the metadata: %+v, %v", meta.RestoreVerified, err)
	}
	rep := r.report("db")
	if rep.TestRestore == nil || rep.TestRestore.State != RestoreFailed || rep.TestRestore.LastFailure == nil {
		t.Errorf("status = %+v", rep.TestRestore)
	}
	if len(rep.RecentArchives) != 1 || rep.RecentArchives[0].RestoreTest != RestoreFailed {
		t.Errorf("archive badges = %+v", rep.RecentArchives)
	}
	if len(rec.all()) == 0 || rec.all()[0].Outcome != Failed {
		t.Errorf("observers heard %+v", rec.all())
	}
}

// A test-restore waits for a running backup of its target; a backup asked for
// while a test-restore runs waits for it: the two never overlap.
func TestTestRestoreNeverRunsBesideABackupOfItsTarget(t *testing.T) {
	fr := &fakeRestorer{gate: make(chan struct{})}
	r, _ := startVerifying(t, nil, fr)
	first := r.runNow("db")
	tr, err := r.agent.RunTestRestore("db")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the test-restore runs", func() bool { n, _ := fr.stats(); return n == 1 })
	att, err := r.agent.RunNow("db")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if cur, _ := r.agent.Attempt(att.ID); cur.Outcome != Queued {
		t.Fatalf("a backup asked for during a test-restore is %s, want queued until it ends", cur.Outcome)
	}
	if _, err := r.agent.RunTestRestore("db"); !errors.As(err, new(*TestRestoreBusyError)) {
		t.Errorf("a second test-restore of db: %v, want a TestRestoreBusyError", err)
	}
	close(fr.gate)
	done := r.finished(att.ID)
	ended, _ := r.agent.TestRestoreByID(tr.ID)
	if done.Outcome != Succeeded || ended.Outcome != Succeeded || done.Started.Before(ended.Ended) || ended.Archive != first.Archive {
		t.Errorf("backup %s..%s, test-restore %s..%s of %s; want the backup after the test-restore of %s",
			done.Started, done.Ended, ended.Started, ended.Ended, ended.Archive, first.Archive)
	}

	// The other way round: a dump that hangs holds the test-restore back.
	release := make(chan struct{})
	r.docker.OnExec(func(ctx context.Context, _ docker.Container, spec docker.ExecSpec) error {
		<-release
		return writes(goodDump, nil)(ctx, docker.Container{}, spec)
	})
	att, _ = r.agent.RunNow("db")
	waitFor(t, "the backup runs", func() bool { cur, _ := r.agent.Attempt(att.ID); return cur.Outcome == Running })
	tr, _ = r.agent.RunTestRestore("db")
	time.Sleep(time.Second)
	if n, _ := fr.stats(); n != 1 {
		t.Fatalf("a test-restore ran beside a running backup (%d calls)", n)
	}
	close(release)
	done = r.finished(att.ID)
	ended = r.finishedTestRestore("db", Succeeded)
	waitFor(t, "the second test-restore", func() bool { got, _ := r.agent.TestRestoreByID(tr.ID); ended = got; return got.Outcome.Final() })
	if ended.Started.Before(done.Ended) || ended.Archive != done.Archive {
		t.Errorf("test-restore %s of %s; backup ended %s with %s", ended.Started, ended.Archive, done.Ended, done.Archive)
	}
}

func TestTestRestoresRunOnBTVerifyThreadsSlots(t *testing.T) {
	fr := &fakeRestorer{gate: make(chan struct{})}
	rec := &testRestoreRecorder{}
	r := startRig(t, map[string]string{"BT_VERIFY_THREADS": "1"}, nil, Deps{TestRestorer: fr, Observers: []Observer{rec}})
	r.docker.OnExec(writes(goodDump, nil))
	for _, name := range []string{"a", "b", "c"} {
		r.start(name)
		r.registered(name)
		r.runNow(name)
		if _, err := r.agent.RunTestRestore(name); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if n, _ := fr.stats(); n != 1 {
		t.Fatalf("%d test-restores started with BT_VERIFY_THREADS=1", n)
	}
	close(fr.gate)
	waitFor(t, "three test-restores", func() bool { return len(rec.all()) == 3 })
	if _, most := fr.stats(); most != 1 {
		t.Errorf("%d test-restores ran at once", most)
	}
}

// With a count=1 policy, a backup keeps the newest restore-verified archive
// besides the one it wrote; one sealed with another key does not count.
func TestRetentionKeepsTheNewestRestoreVerifiedArchive(t *testing.T) {
	fr := &fakeRestorer{}
	r, _ := startVerifying(t, map[string]string{"BT_RETENTION_COUNT": "1"}, fr, labels.VerifySchedule, "@every 1h")
	verified := r.runNow("db")
	tr, err := r.agent.RunTestRestore("db")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the test-restore", func() bool { got, _ := r.agent.TestRestoreByID(tr.ID); return got.Outcome == Succeeded })
	time.Sleep(1100 * time.Millisecond) // archives are named by the second
	second := r.runNow("db")
	time.Sleep(1100 * time.Millisecond)
	third := r.runNow("db")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !exists(verified.Archive) || exists(second.Archive) || !exists(third.Archive) {
		t.Fatalf("after two more backups with count=1: restore-verified %v, second %v, third %v; want the first and the last",
			exists(verified.Archive), exists(second.Archive), exists(third.Archive))
	}
	// A seal of another key (planted on the volume) protects nothing.
	meta, _ := store.ReadMetaFile(third.Archive)
	forged := store.RestoreVerification{At: time.Now(), SHA256: meta.SHA256, Checks: 9}.Sealed(make([]byte, store.SealKeySize), meta.File)
	if err := store.RecordRestoreVerified(context.Background(), third.Archive, forged); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	fourth := r.runNow("db")
	if !exists(verified.Archive) || exists(third.Archive) || !exists(fourth.Archive) {
		t.Errorf("a forged seal: verified %v, forged %v, fourth %v; want the forged one pruned", exists(verified.Archive), exists(third.Archive), exists(fourth.Archive))
	}
	for _, b := range r.report("db").RecentArchives {
		if b.Path == third.Archive && b.RestoreTest != RestoreUntested {
			t.Errorf("the forged archive shows %s", b.RestoreTest)
		}
	}
}

func TestTestRestoreSchedules(t *testing.T) {
	fr := &fakeRestorer{}
	r, _ := startVerifying(t, map[string]string{"BT_VERIFY_CRON": "@every 1s"}, fr)
	r.start("quiet", labels.VerifySchedule, "off")
	r.start("own", labels.VerifySchedule, "@every 2h")
	for container, want := range map[string]string{"db": "@every 1s", "quiet": "", "own": "@every 2h"} {
		if got := r.registered(container).TestRestoreSchedule; got != want {
			t.Errorf("%s: test-restore schedule %q, want %q", container, got, want)
		}
	}
	// No archive yet: the scheduled test-restores are skipped, unrecorded.
	time.Sleep(2500 * time.Millisecond)
	if n, _ := fr.stats(); n != 0 || len(r.agent.TestRestores("db", 0)) != 0 {
		t.Errorf("test-restores without an archive: %d calls, %+v", n, r.agent.TestRestores("db", 0))
	}
	// Asked for, it says so.
	tr, err := r.agent.RunTestRestore("quiet")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the skipped test-restore", func() bool { got, _ := r.agent.TestRestoreByID(tr.ID); tr = got; return got.Outcome == Skipped })
	if !strings.Contains(tr.Error, "no archive of quiet") {
		t.Errorf("skipped: %q", tr.Error)
	}
	if _, err := r.agent.RunTestRestore("nobody"); !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("a test-restore of no target: %v", err)
	}
}

// The start sweeps this agent's scratch containers, and a test-restore the
// previous run left unfinished is recorded failed.
func TestStartSweepsAndRecordsInterruptedTestRestores(t *testing.T) {
	fr := &fakeRestorer{gate: make(chan struct{})}
	cfg := testConfig(t, nil)
	env := map[string]string{"BT_BACKUP_DIR": cfg.BackupDir, "BT_STATE_DIR": cfg.StateDir}
	r, _ := startVerifying(t, env, fr)
	r.runNow("db")
	tr, _ := r.agent.RunTestRestore("db")
	waitFor(t, "the test-restore runs", func() bool { n, _ := fr.stats(); return n == 1 })
	owner := r.agent.verify.owner
	// A kill: the history keeps "started" only. (Stopping cancels it, and a
	// cancelled test-restore is recorded; a kill records nothing more.)
	r.agent.verify.history.close()
	r.stop()

	fr2 := &fakeRestorer{}
	r2 := startRig(t, env, nil, Deps{TestRestorer: fr2})
	if len(fr2.sweeps) != 1 || fr2.sweeps[0] != owner {
		t.Errorf("sweeps at the start: %v, want one of owner %s", fr2.sweeps, owner)
	}
	got, ok := r2.agent.TestRestoreByID(tr.ID)
	if !ok || got.Outcome != Cancelled || !strings.HasPrefix(got.Error, "interrupted") {
		t.Errorf("the interrupted test-restore: %+v, %v", got, ok)
	}
}

// A test-restore the agent's stop cuts short is recorded cancelled: it says
// nothing of the archive, so it is neither a failure nor notified.
func TestStopCancelsATestRestore(t *testing.T) {
	hook, url := startWebhook(t)
	fr := &fakeRestorer{gate: make(chan struct{})}
	r, rec := startVerifying(t, map[string]string{"BT_WEBHOOK_URL": url}, fr)
	r.runNow("db")
	tr, _ := r.agent.RunTestRestore("db")
	waitFor(t, "the test-restore runs", func() bool { n, _ := fr.stats(); return n == 1 })
	r.stop()
	got, ok := r.agent.verify.history.get(tr.ID)
	if !ok || got.Outcome != Cancelled || !strings.Contains(got.Error, "the agent is stopping") {
		t.Errorf("the cut test-restore: %+v, %v", got, ok)
	}
	if all := rec.all(); len(all) != 1 || all[0].Outcome != Cancelled {
		t.Errorf("observers heard %+v", all)
	}
	time.Sleep(200 * time.Millisecond)
	if e, sent := hook.find("restore_test.failed"); sent {
		t.Errorf("a cancelled test-restore was notified as failed: %v", e)
	}
}
