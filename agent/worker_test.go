package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// A backup asked for by name, container ID (or its prefix) or container name
// runs once, commits an archive and records everything about it.
func TestRunNowBacksUp(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	r.docker.OnExec(writes(goodDump, nil))
	c := r.start("shop-db", labels.Name, "shop")
	r.registered("shop-db")

	for _, ref := range []string{"shop", "shop-db", c.ID, c.ID[:12]} {
		att := r.runNow(ref)
		if att.Outcome != Succeeded || att.Tries != 1 || att.Trigger != TriggerAPI || att.Name != "shop" || att.ContainerID != c.ID ||
			att.Destination != r.agent.cfg.BackupDir || att.DumpBytes != int64(len(goodDump)) || att.SizeBytes == 0 {
			t.Fatalf("RunNow(%s) = %+v", ref, att)
		}
		meta, err := store.Verify(t.Context(), att.Archive)
		if err != nil || meta.Container != "shop-db" || meta.Engine != testEngineName || meta.Database != "all" || meta.Size != att.SizeBytes {
			t.Fatalf("archive %s: %+v, %v", att.Archive, meta, err)
		}
	}
	if got := r.agent.Attempts("shop", 2); len(got) != 2 || got[0].Queued.Before(got[1].Queued) {
		t.Errorf("Attempts(shop, 2) = %+v; want the last two, newest first", got)
	}
	if got := r.agent.Attempts("other", 0); len(got) != 0 {
		t.Errorf("Attempts(other) = %+v", got)
	}
	if s := r.registered("shop-db"); s.LastSuccess == nil || s.LastFailure != nil || s.Active != nil {
		t.Errorf("status after the backups: %+v", s)
	}
	if _, err := r.agent.RunNow("nobody"); !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("RunNow(nobody) = %v", err)
	}
	if _, ok := r.agent.Attempt("no-such-id"); ok {
		t.Error("Attempt(no-such-id) found one")
	}
}

// Each failure is classified; a transient one is tried again (at most
// BT_BACKUP_RETRIES more times), a permanent one is not; nothing of a failed try
// stays on disk.
func TestRetriesFollowTheClassification(t *testing.T) {
	t.Parallel()
	busy := &docker.ExitError{Command: "dump", Code: 1, Stderr: "FATAL: too many connections"}
	wrongPassword := &docker.ExitError{Command: "dump", Code: 1, Stderr: "FATAL: password authentication failed"}
	for _, tc := range []struct {
		name    string
		retries string
		tries   []fakedocker.ExecFunc // one per try; the last repeats
		outcome Outcome
		kind    ErrorKind
		want    int // tries made
	}{
		{"succeeds at once", "2", []fakedocker.ExecFunc{writes(goodDump, nil)}, Succeeded, "", 1},
		{"busy server, then fine", "2", []fakedocker.ExecFunc{writes("", busy), writes(goodDump, nil)}, Succeeded, "", 2},
		{"busy for good", "2", []fakedocker.ExecFunc{writes("", busy)}, Failed, KindDumpTool, 3},
		{"wrong password: no retry", "2", []fakedocker.ExecFunc{writes("", wrongPassword)}, Failed, KindDumpTool, 1},
		{"cut short, then whole", "1", []fakedocker.ExecFunc{writes(dumpBegin+"half", nil), writes(goodDump, nil)}, Succeeded, "", 2},
		{"never complete", "1", []fakedocker.ExecFunc{writes(dumpBegin+"half", nil)}, Failed, KindIncomplete, 2},
		{"not this engine's dump", "0", []fakedocker.ExecFunc{writes("garbage"+dumpEnd, nil)}, Failed, KindIncomplete, 1},
		{"Docker away for a moment", "2", []fakedocker.ExecFunc{writes("", fakedocker.Unreachable()), writes(goodDump, nil)}, Succeeded, "", 2},
		{"dump tool killed, then fine", "2", []fakedocker.ExecFunc{writes(dumpBegin, &docker.ExitError{Command: "dump", Code: 137}), writes(goodDump, nil)}, Succeeded, "", 2},
		{"not understood: no retry", "2", []fakedocker.ExecFunc{writes("", errors.New("something odd"))}, Failed, KindOther, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startRig(t, map[string]string{"BT_BACKUP_RETRIES": tc.retries}, nil)
			var n atomic.Int32
			r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
				i := min(int(n.Add(1)), len(tc.tries)) - 1
				return tc.tries[i](ctx, c, spec)
			})
			r.start("db")
			r.registered("db")
			att := r.runNow("db")
			if att.Outcome != tc.outcome || att.ErrorKind != tc.kind || att.Tries != tc.want {
				t.Fatalf("attempt: %s, %q after %d tries (%s); want %s, %q after %d", att.Outcome, att.ErrorKind, att.Tries, att.Error, tc.outcome, tc.kind, tc.want)
			}
			archives, err := store.List(context.Background(), r.agent.cfg.BackupDir)
			if want := map[Outcome]int{Succeeded: 1, Failed: 0}[tc.outcome]; err != nil || len(archives) != want {
				t.Errorf("%d archives (%v); want %d", len(archives), err, want)
			}
			if tmp, _ := filepath.Glob(filepath.Join(r.agent.cfg.BackupDir, "db", "*", ".baktainer-tmp-*")); len(tmp) > 0 {
				t.Errorf("a failed try left %v", tmp)
			}
		})
	}
}

// A try re-inspects the container: a container stopped, removed or relabelled
// since its registration fails as such, without a retry.
func TestTriesSeeTheContainerAsItIsNow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(dc *fakedocker.Engine, c docker.Container)
		kind   ErrorKind
	}{
		{"stopped behind the agent's back", func(dc *fakedocker.Engine, c docker.Container) { c.Running = false; dc.Put(c) }, KindNotRunning},
		{"removed behind the agent's back", func(dc *fakedocker.Engine, c docker.Container) { dc.Forget(c.ID) }, KindContainerGone},
		{"relabelled wrongly", func(dc *fakedocker.Engine, c docker.Container) {
			c.Labels[labels.Schedule] = "never"
			dc.Put(c)
		}, KindLabels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startWithTarget(t, map[string]string{"BT_BACKUP_RETRIES": "3"})
			c, err := r.docker.Inspect(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			tc.change(r.docker, c)
			att := r.runNow(c.ID)
			if att.Outcome != Failed || att.ErrorKind != tc.kind || att.Tries != 1 {
				t.Errorf("attempt: %s, %s after %d tries: %s", att.Outcome, att.ErrorKind, att.Tries, att.Error)
			}
		})
	}
}

// A container that dies under its dump is tried again only if it runs again.
func TestContainerStoppedMidDump(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_BACKUP_RETRIES": "2"}, nil)
	c := r.start("db")
	r.registered("db")
	r.docker.OnExec(func(context.Context, docker.Container, docker.ExecSpec) error {
		stopped := c
		stopped.Running = false
		r.docker.Put(stopped) // its die event is still on its way
		return fmt.Errorf("exec: %w", docker.ErrContainerStopped)
	})
	att := r.runNow("db")
	if att.Outcome != Failed || att.ErrorKind != KindNotRunning || att.Tries != 2 {
		t.Errorf("attempt: %s, %s after %d tries: %s", att.Outcome, att.ErrorKind, att.Tries, att.Error)
	}
}

// BT_BACKUP_TIMEOUT ends a try that hangs, and is not retried; stopping the agent
// ends the attempts in flight as cancelled.
func TestTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	hang := func(ctx context.Context, _ docker.Container, _ docker.ExecSpec) error {
		<-ctx.Done()
		return fmt.Errorf("exec: %w", ctx.Err())
	}
	r := startRig(t, map[string]string{"BT_BACKUP_TIMEOUT": "1s", "BT_BACKUP_RETRIES": "2"}, nil)
	r.docker.OnExec(hang)
	r.start("db")
	r.registered("db")
	att := r.runNow("db")
	if att.Outcome != Failed || att.ErrorKind != KindTimeout || att.Tries != 1 || !strings.Contains(att.Error, "BT_BACKUP_TIMEOUT") {
		t.Errorf("timed out: %s, %s after %d tries: %s", att.Outcome, att.ErrorKind, att.Tries, att.Error)
	}

	queued, err := r.agent.RunNow("db")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("the attempt running", func() bool { return r.docker.Calls(fakedocker.MethodExec) == 2 })
	r.stop()
	got := r.seen.finishedOf("db")
	if last := got[len(got)-1]; last.ID != queued.ID || last.Outcome != Failed || last.ErrorKind != KindCancelled {
		t.Errorf("attempt in flight at the stop: %+v", last)
	}
	if _, err := r.agent.RunNow("db"); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("RunNow after the stop: %v", err)
	}
}

// A retry waits, and a stop during the wait ends the attempt as cancelled,
// keeping the error that made it wait.
func TestStopDuringTheRetryWait(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_BACKUP_RETRIES": "2", "BT_BACKUP_RETRY_DELAY": "1m"}, nil)
	r.docker.OnExec(writes("", &docker.ExitError{Command: "dump", Code: 1, Stderr: "too many connections"}))
	r.start("db")
	r.registered("db")
	att, err := r.agent.RunNow("db")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("the first try failed", func() bool {
		a, _ := r.agent.Attempt(att.ID)
		return a.Tries == 1 && a.Error != ""
	})
	r.stop()
	got := r.seen.finishedOf("db")
	if len(got) != 1 || got[0].ErrorKind != KindCancelled || !strings.Contains(got[0].Error, "too many connections") {
		t.Errorf("attempt stopped while waiting to retry: %+v", got)
	}
}

// Retention runs after a success, and counts what it removed.
func TestRetentionAfterASuccess(t *testing.T) {
	t.Parallel()
	r := startWithTarget(t, nil, labels.KeepCount, "1")
	first := r.runNow("db")
	time.Sleep(1100 * time.Millisecond) // archives are named to the second
	second := r.runNow("db")
	if first.Pruned != 0 || second.Pruned != 1 {
		t.Errorf("pruned %d, then %d; want 0, then 1", first.Pruned, second.Pruned)
	}
	if _, err := os.Stat(first.Archive); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the first archive after retention count 1: %v", err)
	}
}

// What a failure says is scrubbed of the target's secrets, whatever the engine
// put in it; a destination that cannot be written is a storage failure.
func TestFailuresAreScrubbedAndClassified(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	r.docker.OnExec(writes("", fmt.Errorf("login refused for hunter2-secret")))
	r.start("db", labels.Password, "hunter2-secret")
	r.registered("db")
	if att := r.runNow("db"); att.Outcome != Failed || strings.Contains(att.Error, "hunter2-secret") || !strings.Contains(att.Error, "[REDACTED]") {
		t.Errorf("attempt error %q", att.Error)
	}

	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.agent.dests = Directory{Dir: file}
	r.docker.OnExec(writes(goodDump, nil))
	if att := r.runNow("db"); att.Outcome != Failed || att.ErrorKind != KindStorage {
		t.Errorf("a destination that is a file: %s, %s: %s", att.Outcome, att.ErrorKind, att.Error)
	}
}

// A container that went away between the list and the try is reported as gone.
func TestGoneContainerIsNotFound(t *testing.T) {
	t.Parallel()
	if kind, transient := classify(fmt.Errorf("x: %w", cerrdefs.ErrNotFound)); kind != KindContainerGone || transient {
		t.Errorf("classify(not found) = %s, %v", kind, transient)
	}
}

// slowObserver takes its time over a finished attempt, as a busy disk under the
// history would.
type slowObserver struct{}

func (slowObserver) BackupStarted(Attempt)  {}
func (slowObserver) BackupFinished(Attempt) { time.Sleep(200 * time.Millisecond) }

// Once a client sees an attempt's final outcome, the next backup of the same
// target may be asked for at once: it is not refused as "already succeeded".
func TestAFinishedAttemptFreesItsTargetAtOnce(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil, Deps{Observers: []Observer{slowObserver{}}})
	r.docker.OnExec(writes(goodDump, nil))
	r.start("db")
	r.registered("db")
	for range 3 {
		if att := r.runNow("db"); att.Outcome != Succeeded {
			t.Fatalf("attempt: %+v", att)
		}
	}
}
