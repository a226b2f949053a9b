package fakedocker

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/docker"
)

func next(t *testing.T, s docker.EventStream) docker.ContainerEvent {
	t.Helper()
	select {
	case ev := <-s.Events:
		return ev
	case err := <-s.Err:
		t.Fatalf("stream ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no event after 5s")
	}
	return docker.ContainerEvent{}
}

func TestEventsFollowTheContainersAndTheirFilters(t *testing.T) {
	e := New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := e.ContainerEvents(ctx, []string{"start", "destroy"}, "baktainer.backup=true")
	if e.Streams() != 1 || e.Subscriptions() != 1 {
		t.Fatalf("streams %d, subscriptions %d", e.Streams(), e.Subscriptions())
	}
	db := e.Start(docker.Container{Name: "db", Labels: map[string]string{"baktainer.backup": "true"}})
	e.Start(docker.Container{Name: "web", Labels: map[string]string{"baktainer.backup": "false"}})
	if ev := next(t, s); ev.Action != "start" || ev.ID != db.ID || ev.Name != "db" {
		t.Fatalf("first event %+v", ev)
	}
	e.Stop(db.ID) // "die" is not subscribed
	e.Remove(db.ID)
	if ev := next(t, s); ev.Action != "destroy" || ev.ID != db.ID {
		t.Fatalf("second event %+v", ev)
	}
	if _, err := e.Inspect(ctx, "db"); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect of a removed container: %v", err)
	}

	e.BreakStreams(nil)
	if err := <-s.Err; !errors.Is(err, docker.ErrStreamClosed) {
		t.Errorf("broken stream: %v", err)
	}
	waitFor(t, func() bool { return e.Streams() == 0 })

	cancel()
	s = e.ContainerEvents(ctx, nil)
	if err := <-s.Err; !errors.Is(err, context.Canceled) {
		t.Errorf("subscription with an ended context: %v", err)
	}
}

func TestDownFailsEverythingLikeARefusedConnection(t *testing.T) {
	e := New()
	ctx := context.Background()
	c := e.Start(docker.Container{Name: "db", Labels: map[string]string{"a": "b"}})
	live := e.ContainerEvents(ctx, nil)
	e.SetDown(true)
	if err := <-live.Err; !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("live stream when the daemon went away: %v", err)
	}
	if err := <-e.ContainerEvents(ctx, nil).Err; !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("subscription while down: %v", err)
	}
	if _, err := e.ListRunning(ctx); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("list while down: %v", err)
	}
	if err := e.Ping(ctx); err == nil {
		t.Error("ping while down succeeded")
	}
	e.SetDown(false)
	listed, err := e.ListRunning(ctx, "a=b")
	if err != nil || len(listed) != 1 || listed[0].ID != c.ID || listed[0].Env != nil {
		t.Errorf("list after the daemon came back: %+v, %v", listed, err)
	}
	if listed, _ := e.ListRunning(ctx, "a=c"); len(listed) != 0 {
		t.Errorf("list with a selector nothing matches: %+v", listed)
	}
	if e.Calls(MethodListRunning) != 3 {
		t.Errorf("%d list calls counted, want 3", e.Calls(MethodListRunning))
	}
}

func TestExecRunsTheScriptInRunningContainersOnly(t *testing.T) {
	e := New()
	ctx := context.Background()
	c := e.Start(docker.Container{Name: "db"})
	var out strings.Builder
	if err := e.Exec(ctx, docker.ExecSpec{Container: c.ID, Cmd: []string{"dump"}, Stdout: &out}); err == nil {
		t.Error("exec without a script succeeded")
	}
	e.OnExec(func(_ context.Context, in docker.Container, spec docker.ExecSpec) error {
		_, err := io.WriteString(spec.Stdout, in.Name+":"+spec.Cmd[0])
		return err
	})
	if err := e.Exec(ctx, docker.ExecSpec{Container: "db", Cmd: []string{"dump"}, Stdout: &out}); err != nil || out.String() != "db:dump" {
		t.Errorf("exec = %q, %v", out.String(), err)
	}
	e.Stop(c.ID)
	if err := e.Exec(ctx, docker.ExecSpec{Container: c.ID, Cmd: []string{"dump"}}); !cerrdefs.IsConflict(err) {
		t.Errorf("exec in a stopped container: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met after 5s")
		}
	}
}
