package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Never two dumps of one container (or one backup name) at once, and never more
// than BT_THREADS in all: the rest wait for a worker.
func TestOnePerContainerAndThreads(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_THREADS": "2"}, nil)
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return writes(goodDump, nil)(ctx, c, spec)
	})
	names := []string{"a", "b", "c", "d", "e"}
	for _, name := range names {
		r.start(name)
		r.registered(name)
	}
	var ids []string
	for _, name := range names {
		att, err := r.agent.RunNow(name)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, att.ID)
	}
	var busy *BusyError
	if _, err := r.agent.RunNow("a"); !errors.As(err, &busy) || busy.Attempt.ID != ids[0] {
		t.Errorf("a second backup of a: %v", err)
	}
	r.waitFor("two running", func() bool { return r.docker.Calls(fakedocker.MethodExec) == 2 })
	counts := map[Outcome]int{}
	for _, att := range r.agent.Active() {
		counts[att.Outcome]++
	}
	if counts[Running] != 2 || counts[Queued] != 3 {
		t.Errorf("in flight: %v; want 2 running, 3 queued", counts)
	}
	if got := r.agent.Attempts("", 3); len(got) != 3 {
		t.Errorf("Attempts(all, 3) = %d attempts", len(got))
	}
	close(release)
	for _, id := range ids {
		if att := r.finished(id); att.Outcome != Succeeded {
			t.Errorf("%s: %+v", id, att)
		}
	}
	if most != 2 {
		t.Errorf("%d dumps ran at once; BT_THREADS is 2", most)
	}
}

// Two containers that claim one backup name in one destination: the older keeps
// it, the other is registered refused; when the older goes, the other takes the
// name over. A backup of either name's holder is refused while one runs.
func TestOneHolderPerName(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.Start(docker.Container{Name: "old", Labels: targetLabels(labels.Name, "shop"), Created: nowMinus(10)})
	dc.Start(docker.Container{Name: "new", Labels: targetLabels(labels.Name, "shop"), Created: nowMinus(5)})
	r := startRig(t, nil, dc)
	if got := r.registered("old"); got.Problem != "" {
		t.Fatalf("the older container: %+v", got)
	}
	refused := r.registered("new")
	if !strings.Contains(refused.Problem, "container old already backs up under this name") {
		t.Fatalf("the newer container: %+v", refused)
	}
	var invalid *InvalidTargetError
	if _, err := r.agent.RunNow("new"); !errors.As(err, &invalid) {
		t.Errorf("RunNow of the refused one: %v", err)
	}
	dc.Remove(r.registered("old").ContainerID)
	r.waitFor("new takes the name over", func() bool {
		s := r.registered("new")
		return s.Problem == "" && !s.NextRun.IsZero()
	})
}

// The scheduler runs a target on its schedule (next_run is when it fires) and
// skips a run, with a warning, while the previous one still runs.
func TestScheduledRunsAndSkips(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	gate := make(chan struct{})
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return writes(goodDump, nil)(ctx, c, spec)
	})
	r.start("db", labels.Schedule, "@every 1s")
	s := r.registered("db")
	// The scheduler's own next run: @every counts whole seconds from when the
	// scheduler took the entry, just after the registration.
	if !s.NextRun.After(s.Registered.Truncate(time.Second)) || s.NextRun.After(s.Registered.Add(2*time.Second)) {
		t.Errorf("next run %s; want a second or so after the registration %s", s.NextRun, s.Registered)
	}
	r.waitFor("the skipped run's warning", func() bool { return r.seen.warned("db", "scheduled backup skipped") })
	close(gate)
	if att := r.firstFinished("db"); att.Trigger != TriggerSchedule || att.Outcome != Succeeded {
		t.Errorf("scheduled attempt: %+v", att)
	}
}

// baktainer.backup.on_start backs a container up as soon as it is registered.
func TestOnStart(t *testing.T) {
	t.Parallel()
	r := startWithTarget(t, nil, labels.OnStart, "true")
	if att := r.firstFinished("db"); att.Trigger != TriggerOnStart || att.Outcome != Succeeded {
		t.Errorf("on_start attempt: %+v", att)
	}
}
