package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// The agent's unit tests run the real agent (scheduler, workers, watch, store,
// history) against an in-memory Docker engine (package fakedocker) and a test
// engine whose dump is whatever the fake's exec script writes. The integration
// tests run the same agent against the real engine and real databases.

// testEngineName is the engine label of the test engine.
const testEngineName = "fake"

// A complete dump of the test engine starts with dumpBegin and ends with dumpEnd.
const (
	dumpBegin = "BEGIN\n"
	dumpEnd   = "END\n"
	goodDump  = dumpBegin + "some rows\n" + dumpEnd
)

var _ Docker = (*fakedocker.Engine)(nil)

// testEngine dumps by running "dump" in the container, the password in the
// exec environment, as a real engine does.
type testEngine struct{ engines.Uninspected }

var _ engines.Engine = testEngine{}

func (testEngine) Name() string                   { return testEngineName }
func (testEngine) Extension() string              { return "dump" }
func (testEngine) Validate(labels.Spec) error     { return nil }
func (testEngine) Database(engines.Target) string { return "all" }
func (testEngine) Example() engines.Example       { return engines.Example{} }
func (testEngine) Restore(context.Context, engines.Runtime, engines.Target, io.Reader) error {
	return errors.New("test engine: no restore")
}

func (testEngine) Dump(ctx context.Context, ex engines.Execer, t engines.Target, w io.Writer) error {
	err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"dump"},
		Env: []string{"PASSWORD=" + t.Spec.Password}, Stdout: w})
	if err != nil {
		return fmt.Errorf("container %s: dump: %w", t.Container.Name, err)
	}
	return nil
}

func (testEngine) CheckComplete(head, tail []byte) error {
	if !bytes.HasPrefix(head, []byte(dumpBegin)) || !bytes.HasSuffix(tail, []byte(dumpEnd)) {
		return engines.ErrIncomplete
	}
	return nil
}

// writes returns an exec script that writes out and returns err.
func writes(out string, err error) fakedocker.ExecFunc {
	return func(_ context.Context, _ docker.Container, spec docker.ExecSpec) error {
		if _, werr := io.WriteString(spec.Stdout, out); werr != nil {
			return werr
		}
		return err
	}
}

// testConfig loads the configuration from env on top of test defaults: a
// temporary backup directory, a daily schedule, no retries.
func testConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"BT_BACKUP_DIR": dir, "BT_STATE_DIR": dir + "/.state", "BT_CRON": "@daily",
		"BT_BACKUP_TIMEOUT": "10s", "BT_BACKUP_RETRIES": "0", "BT_BACKUP_RETRY_DELAY": "0s"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// rig is a running agent, its fake Docker engine and what it reported.
type rig struct {
	t      *testing.T
	docker *fakedocker.Engine
	agent  *Agent
	seen   *recorder
	cancel context.CancelFunc
	done   chan error
}

// startRig runs an agent with the BT_* settings env on a fake Docker engine
// (which the test may fill before: containers running at the start), and waits
// for its first complete list of the containers.
func startRig(t *testing.T, env map[string]string, dc *fakedocker.Engine, deps ...Deps) *rig {
	t.Helper()
	r := runRig(t, env, dc, deps...)
	r.waitFor("the first resync", func() bool { ok, _ := r.agent.Connected(); return ok })
	return r
}

// startWithTarget runs an agent with the settings env and one target, db,
// labelled with extra, whose dumps are complete.
func startWithTarget(t *testing.T, env map[string]string, extra ...string) *rig {
	t.Helper()
	r := startRig(t, env, nil)
	r.docker.OnExec(writes(goodDump, nil))
	r.start("db", extra...)
	r.registered("db")
	return r
}

// runRig is startRig without waiting for Docker.
func runRig(t *testing.T, env map[string]string, dc *fakedocker.Engine, deps ...Deps) *rig {
	t.Helper()
	if dc == nil {
		dc = fakedocker.New()
	}
	var d Deps
	if len(deps) > 0 {
		d = deps[0]
	}
	d.Docker, d.Log = dc, quietLog()
	if d.Engines == nil {
		d.Engines = engines.NewRegistry(testEngine{})
	}
	seen := newRecorder()
	d.Observers = append(d.Observers, seen)
	a, err := New(testConfig(t, env), d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, docker: dc, agent: a, seen: seen, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-r.done:
		t.Fatalf("agent stopped at start: %v", err)
	}
	t.Cleanup(r.stop)
	return r
}

// stop stops the agent and waits for Run to return.
func (r *rig) stop() {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
		r.done <- err // stop may be called again
	case <-time.After(10 * time.Second):
		r.t.Fatal("the agent did not stop within 10s")
	}
}

// waitFor polls cond until it holds, failing the test after 10s.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	waitFor(r.t, what, cond)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
	}
}

// start runs a container labelled as a target of the test engine, with extra
// labels as key, value pairs.
func (r *rig) start(name string, extra ...string) docker.Container {
	return r.docker.Start(docker.Container{Name: name, Image: "db:1", ImageID: "sha256:db1", Labels: targetLabels(extra...)})
}

func targetLabels(extra ...string) map[string]string {
	l := map[string]string{labels.Backup: "true", labels.Engine: testEngineName}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// registered waits until the agent has a target for container and returns it.
func (r *rig) registered(container string) TargetStatus {
	r.t.Helper()
	var found TargetStatus
	r.waitFor(container+" registered", func() bool {
		for _, s := range r.agent.Targets() {
			if s.Container == container {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// gone waits until the agent has no target for container.
func (r *rig) gone(container string) {
	r.t.Helper()
	r.waitFor(container+" removed", func() bool {
		for _, s := range r.agent.Targets() {
			if s.Container == container {
				return false
			}
		}
		return true
	})
}

// finished waits for the attempt id to end and returns it.
func (r *rig) finished(id string) Attempt {
	r.t.Helper()
	var att Attempt
	r.waitFor("attempt "+id+" finished", func() bool {
		a, ok := r.agent.Attempt(id)
		att = a
		return ok && a.Outcome.Final()
	})
	return att
}

// runNow queues a backup of ref and waits for its end.
func (r *rig) runNow(ref string) Attempt {
	r.t.Helper()
	att, err := r.agent.RunNow(ref)
	if err != nil {
		r.t.Fatalf("RunNow(%s): %v", ref, err)
	}
	return r.finished(att.ID)
}

// recorder is an observer that keeps everything it is told.
type recorder struct {
	mu         sync.Mutex
	started    []Attempt
	finished   []Attempt
	warnings   []Warning
	registered []TargetStatus
	removed    []TargetStatus
}

var (
	_ WarningObserver = (*recorder)(nil)
	_ TargetObserver  = (*recorder)(nil)
)

func newRecorder() *recorder { return &recorder{} }

// locked runs f holding the recorder's lock: observers are called concurrently.
func (o *recorder) locked(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f()
}

func (o *recorder) BackupStarted(a Attempt)  { o.locked(func() { o.started = append(o.started, a) }) }
func (o *recorder) BackupFinished(a Attempt) { o.locked(func() { o.finished = append(o.finished, a) }) }
func (o *recorder) Warning(w Warning)        { o.locked(func() { o.warnings = append(o.warnings, w) }) }
func (o *recorder) TargetRegistered(t TargetStatus) {
	o.locked(func() { o.registered = append(o.registered, t) })
}
func (o *recorder) TargetRemoved(t TargetStatus) {
	o.locked(func() { o.removed = append(o.removed, t) })
}

// warned reports whether a warning about container says all of says.
func (o *recorder) warned(container string, says ...string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, w := range o.warnings {
		if w.Container != container {
			continue
		}
		all := true
		for _, s := range says {
			all = all && strings.Contains(w.Message, s)
		}
		if all {
			return true
		}
	}
	return false
}

// firstFinished waits for the first finished attempt of a backup name.
func (r *rig) firstFinished(name string) Attempt {
	r.t.Helper()
	r.waitFor("a finished attempt of "+name, func() bool { return len(r.seen.finishedOf(name)) > 0 })
	return r.seen.finishedOf(name)[0]
}

// finishedOf returns the finished attempts of a backup name, in order.
func (o *recorder) finishedOf(name string) []Attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Attempt
	for _, a := range o.finished {
		if a.Name == name {
			out = append(out, a)
		}
	}
	return out
}

// nowMinus is n minutes ago: a container's creation time.
func nowMinus(n int) time.Time { return time.Now().Add(-time.Duration(n) * time.Minute) }
