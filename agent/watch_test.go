package agent

import (
	"fmt"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Discovery follows the engine: a container running at the start is found by
// the first list, later ones by their events; a stop, a removal and a rename
// change the table at once; containers without the label are never looked at.
func TestDiscoveryFollowsTheEngine(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	early := dc.Start(docker.Container{Name: "early", Labels: targetLabels()})
	dc.Start(docker.Container{Name: "web", Labels: map[string]string{"app": "web"}})
	r := startRig(t, nil, dc)
	r.registered("early")

	late := r.start("late", labels.Name, "shop")
	if got := r.registered("late"); got.Name != "shop" || got.Engine != testEngineName || got.Schedule != "@daily" || got.NextRun.IsZero() {
		t.Errorf("late registered as %+v", got)
	}
	dc.Rename(late.ID, "later")
	r.registered("later")
	r.gone("late")

	dc.Stop(early.ID)
	r.gone("early")
	dc.Start(early) // started again: the same container
	r.registered("early")

	dc.Remove(late.ID)
	r.gone("later")
	if n := len(r.agent.Targets()); n != 1 {
		t.Errorf("%d targets, want early alone: %+v", n, r.agent.Targets())
	}
	r.seen.mu.Lock()
	registered, removed := len(r.seen.registered), len(r.seen.removed)
	r.seen.mu.Unlock()
	// early, late, later (a rename updates the target), early again; early, later
	if registered != 4 || removed != 2 {
		t.Errorf("observers saw %d registrations and %d removals; want 4 and 2", registered, removed)
	}
}

// Wrong labels register the container unscheduled, with a warning naming the
// label; an unknown baktainer.* label is warned about and backed up all the same.
func TestLabelProblemsAreWarnedAndNotScheduled(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	r.docker.Start(docker.Container{Name: "no-engine", Labels: map[string]string{labels.Backup: "true"}})
	r.start("typo", "baktainer.shedule", "@hourly")
	r.start("bad-schedule", labels.Schedule, "every morning")

	if got := r.registered("no-engine"); !strings.Contains(got.Problem, labels.Engine) || !got.NextRun.IsZero() || got.Schedule != "" {
		t.Errorf("no-engine: %+v", got)
	}
	if got := r.registered("bad-schedule"); !strings.Contains(got.Problem, labels.Schedule) {
		t.Errorf("bad-schedule: %+v", got)
	}
	if got := r.registered("typo"); got.Problem != "" || got.NextRun.IsZero() {
		t.Errorf("typo: %+v; want scheduled all the same", got)
	}
	r.waitFor("the warnings", func() bool {
		return r.seen.warned("no-engine", "not scheduled until its labels are fixed", labels.Engine) &&
			r.seen.warned("typo", "baktainer.shedule")
	})
	if _, err := r.agent.RunNow("no-engine"); err == nil || !strings.Contains(err.Error(), labels.Engine) {
		t.Errorf("RunNow of a target with wrong labels: %v", err)
	}
}

// A start event for a container that cannot be inspected (removed at once)
// forgets it; a rename of a container the agent does not know is not looked at.
func TestEventsOfVanishingAndUnknownContainers(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	db := r.start("db")
	r.registered("db")
	other := r.docker.Start(docker.Container{Name: "other", Labels: targetLabels(labels.Engine, "")})
	r.registered("other")
	r.docker.Remove(other.ID)
	r.gone("other")

	r.docker.Fail(fakedocker.MethodInspect, fmt.Errorf("docker: inspect: %w", cerrdefs.ErrNotFound))
	r.docker.Emit("start", db.ID)
	r.gone("db")
	r.docker.Fail(fakedocker.MethodInspect, nil)

	unknown := r.docker.Start(docker.Container{Name: "ignored", Labels: targetLabels(labels.Backup, "false")})
	// Discovery hears every baktainer.backup container start (it reads the value
	// itself): wait until that start, and one after it, are handled.
	r.docker.Start(docker.Container{Name: "first-marker", Labels: targetLabels()})
	r.registered("first-marker")
	inspects := r.docker.Calls(fakedocker.MethodInspect)
	r.docker.Rename(unknown.ID, "renamed")
	r.docker.Start(docker.Container{Name: "marker", Labels: targetLabels()})
	r.registered("marker") // events are handled in order: the rename is behind us
	if got := r.docker.Calls(fakedocker.MethodInspect) - inspects; got != 1 {
		t.Errorf("%d inspects after the rename of an unknown container and a start; want 1 (the start's)", got)
	}
}

// When the engine goes away the agent says so (health, Connected) and keeps
// reconnecting; once it is back, a fresh list admits what started and forgets
// what went while no event could say so.
func TestReconnectResyncsWhatWasMissed(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	kept := dc.Start(docker.Container{Name: "kept", Labels: targetLabels(), Created: nowMinus(2)})
	vanishing := dc.Start(docker.Container{Name: "vanishing", Labels: targetLabels()})
	r := startRig(t, nil, dc)
	r.registered("kept")
	r.registered("vanishing")
	before := dc.Subscriptions()

	dc.SetDown(true)
	r.waitFor("disconnected", func() bool { ok, _ := r.agent.Connected(); return !ok })
	h := r.agent.Health(t.Context())
	if h.OK() || !strings.Contains(strings.Join(h.Reasons, "\n"), "docker_events: the events stream broke; reconnecting") {
		t.Errorf("health while Docker is away: %v", h.Reasons)
	}
	dc.Put(docker.Container{ID: "arrived-id", Name: "arrived", Labels: targetLabels(), Running: true, Created: nowMinus(1)})
	dc.Forget(vanishing.ID)

	dc.SetDown(false)
	r.waitFor("reconnected", func() bool { ok, _ := r.agent.Connected(); return ok })
	r.registered("arrived")
	r.gone("vanishing")
	if got := r.registered("kept"); got.ContainerID != kept.ID {
		t.Errorf("kept: %+v", got)
	}
	if dc.Subscriptions() <= before {
		t.Errorf("no new subscription after the engine came back (%d, before %d)", dc.Subscriptions(), before)
	}
	if h := r.agent.Health(t.Context()); !h.OK() {
		t.Errorf("health once reconnected: %v", h.Reasons)
	}
}

// Even while events flow, the agent lists the containers every
// BT_RESYNC_INTERVAL: a change whose event was lost is found; a list that fails
// then makes it reconnect.
func TestPeriodicResync(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_RESYNC_INTERVAL": "1s"}, nil)
	r.docker.Put(docker.Container{ID: "silent-id", Name: "silent", Labels: targetLabels(), Running: true})
	r.registered("silent")

	subscriptions := r.docker.Subscriptions()
	r.docker.Fail(fakedocker.MethodListRunning, fakedocker.Unreachable())
	r.waitFor("disconnected by a failed list", func() bool { ok, _ := r.agent.Connected(); return !ok })
	r.docker.Fail(fakedocker.MethodListRunning, nil)
	r.waitFor("reconnected", func() bool { ok, _ := r.agent.Connected(); return ok })
	if r.docker.Subscriptions() <= subscriptions {
		t.Error("no new subscription after the failed list")
	}
}

// A resync that cannot inspect a listed container for a connection error fails
// (and is tried again); one removed between list and inspect is skipped.
func TestResyncInspectFailures(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.Start(docker.Container{Name: "db", Labels: targetLabels()})
	dc.Fail(fakedocker.MethodInspect, fakedocker.Unreachable())
	r := runRig(t, nil, dc)
	r.waitFor("resync tried twice", func() bool { return dc.Calls(fakedocker.MethodInspect) >= 2 })
	if ok, _ := r.agent.Connected(); ok || len(r.agent.Targets()) != 0 {
		t.Fatalf("connected %v with targets %+v while inspects fail", ok, r.agent.Targets())
	}
	dc.Fail(fakedocker.MethodInspect, nil)
	r.registered("db")
}
