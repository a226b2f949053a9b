package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// runningNames lists the running containers among names.
func runningNames(t *testing.T, dc *fakedocker.Engine, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		if c, err := dc.Inspect(context.Background(), n); err == nil && c.Running {
			out = append(out, n)
		}
	}
	return out
}

// The members of the target's stop group are stopped while it dumps (others,
// and members outside the agent's selectors, are not), and started again
// afterwards, also when the dump fails; the state directory forgets them.
func TestStopGroupDuringTheDump(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BT_SELECTOR": "team=a"}
	r := startRig(t, env, nil)
	member := func(name, group string, extra ...string) {
		l := map[string]string{"team": "a", labels.StopGroup: group}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		r.docker.Start(docker.Container{Name: name, Labels: l})
	}
	member("web", "shop")
	member("worker", "shop")
	member("blog", "other")
	r.docker.Start(docker.Container{Name: "outsider", Labels: map[string]string{labels.StopGroup: "shop"}})
	all := []string{"web", "worker", "blog", "outsider"}
	var mu sync.Mutex
	var duringDump []string
	fail := false
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		mu.Lock()
		duringDump = runningNames(t, r.docker, all...)
		failNow := fail
		mu.Unlock()
		if failNow {
			return writes("BEGIN\ncut short", nil)(ctx, c, spec)
		}
		return writes(goodDump, nil)(ctx, c, spec)
	})
	r.start("db", "team", "a", labels.StopDuringBackup, "shop")
	r.registered("db")
	for _, failing := range []bool{false, true} {
		mu.Lock()
		fail = failing
		mu.Unlock()
		att := r.runNow("db")
		if (att.Outcome == Succeeded) == failing {
			t.Fatalf("failing %v: %+v", failing, att)
		}
		mu.Lock()
		if !slices.Equal(duringDump, []string{"blog", "outsider"}) {
			t.Errorf("failing %v: running during the dump: %v; want blog and outsider only", failing, duringDump)
		}
		mu.Unlock()
		slices.Sort(att.Stopped)
		if !slices.Equal(att.Stopped, []string{"web", "worker"}) {
			t.Errorf("failing %v: attempt says it stopped %v", failing, att.Stopped)
		}
		if got := runningNames(t, r.docker, all...); len(got) != 4 {
			t.Errorf("failing %v: running after the dump: %v", failing, got)
		}
		if recs, err := r.agent.readStopped(); err != nil || len(recs) != 0 {
			t.Errorf("failing %v: the state directory still lists %v (%v)", failing, recs, err)
		}
	}
}

// Two targets of one group: the group stays stopped until the last dump ends.
func TestStopGroupSharedByTwoDumps(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_THREADS": "2"}, nil)
	r.docker.Start(docker.Container{Name: "web", Labels: map[string]string{labels.StopGroup: "shop"}})
	gates := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		<-gates[c.Name]
		return writes(goodDump, nil)(ctx, c, spec)
	})
	for _, n := range []string{"a", "b"} {
		r.start(n, labels.StopDuringBackup, "shop")
		r.registered(n)
	}
	attA, _ := r.agent.RunNow("a")
	attB, _ := r.agent.RunNow("b")
	r.waitFor("both dumping", func() bool { return r.docker.Calls(fakedocker.MethodExec) == 2 })
	close(gates["a"])
	r.finished(attA.ID)
	if got := runningNames(t, r.docker, "web"); len(got) != 0 {
		t.Errorf("web runs again while b still dumps")
	}
	close(gates["b"])
	r.finished(attB.ID)
	if got := runningNames(t, r.docker, "web"); len(got) != 1 {
		t.Errorf("web does not run after both dumps")
	}
	if n := r.docker.Calls(fakedocker.MethodStop); n != 1 {
		t.Errorf("web stopped %d times", n)
	}
}

// What a killed agent left stopped (recorded in the state directory) is started
// at the next start, with a warning; a container gone since is forgotten.
func TestStopGroupRestartedAfterACrash(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	dc := fakedocker.New()
	web := dc.Start(docker.Container{Name: "web", Labels: map[string]string{labels.StopGroup: "shop"}})
	dc.Stop(web.ID)
	recs := []stoppedRecord{{ID: web.ID, Name: "web", Group: "shop", Stopped: time.Now()}, {ID: "gone", Name: "gone", Group: "shop"}}
	b, _ := json.Marshal(recs)
	if err := os.WriteFile(filepath.Join(state, stoppedFile), b, 0o640); err != nil {
		t.Fatal(err)
	}
	r := startRig(t, map[string]string{"BT_STATE_DIR": state}, dc)
	if got := runningNames(t, dc, "web"); len(got) != 1 {
		t.Fatal("web was not started at the agent's start")
	}
	if left, err := r.agent.readStopped(); err != nil || len(left) != 0 {
		t.Errorf("still recorded: %v (%v)", left, err)
	}
	if !r.seen.warned("web", "started container web again") {
		t.Error("no warning says web was started again")
	}
}
