package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
)

// New refuses a configuration that was not loaded and a missing Docker client.
func TestNewNeedsItsDependencies(t *testing.T) {
	t.Parallel()
	if _, err := New(config.Config{}, Deps{Docker: fakedocker.New()}); err == nil || !strings.Contains(err.Error(), "config.Load") {
		t.Errorf("New with an empty configuration: %v", err)
	}
	if _, err := New(testConfig(t, nil), Deps{}); err == nil || !strings.Contains(err.Error(), "Docker") {
		t.Errorf("New without Docker: %v", err)
	}
}

// At its start the agent records the attempts its previous run left unfinished
// as failed, and removes what interrupted writers left in the destinations.
func TestRunFinishesWhatAKilledAgentLeft(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, nil)
	h, _, err := OpenHistory(cfg.StateDir, 10, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	h.BackupStarted(Attempt{ID: "killed", Name: "db", Queued: time.Now().UTC(), Outcome: Running})
	h.Close()
	leftover := filepath.Join(cfg.BackupDir, "db", "2026-05-04", ".baktainer-tmp-db-20260504T000000Z.dump.zst-123")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leftover, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := startRig(t, map[string]string{"BT_BACKUP_DIR": cfg.BackupDir, "BT_STATE_DIR": cfg.StateDir}, nil)
	if _, failed := r.agent.History().Last("db"); failed == nil || failed.ID != "killed" || failed.ErrorKind != KindInterrupted {
		t.Errorf("the interrupted attempt after the restart: %+v", failed)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the interrupted writer's temp file: %v", err)
	}
	if att, ok := r.agent.Attempt("killed"); !ok || att.Outcome != Failed {
		t.Errorf("Attempt(killed) = %+v, %v", att, ok)
	}
}

// Status describes the agent, its Docker engine, every target and destination.
func TestStatus(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_SELECTOR": "team=shop"}, nil)
	r.docker.OnExec(writes(goodDump, nil))
	r.start("db", "team", "shop")
	r.start("elsewhere", "team", "blog")
	r.registered("db")
	r.runNow("db")

	st := r.agent.Status(t.Context())
	d := st.Agent.Docker
	if !d.Reachable || !d.EventsConnected || d.DaemonVersion != "fake" || d.APIVersion == "" || d.LastSync.IsZero() {
		t.Errorf("docker status %+v", d)
	}
	if st.SchemaVersion != StatusSchemaVersion || st.Agent.Threads != 4 || strings.Join(st.Agent.Selectors, ",") != "team=shop" {
		t.Errorf("agent status %+v", st.Agent)
	}
	if len(st.Targets) != 1 || st.Targets[0].Container != "db" || st.Targets[0].State != StateOK || st.Targets[0].Archives != 1 {
		t.Errorf("targets %+v", st.Targets)
	}
	if len(st.Destinations) != 1 || st.Destinations[0].Archives != 1 || st.Destinations[0].Names != 1 || st.Destinations[0].FreeBytes == 0 {
		t.Errorf("destinations %+v", st.Destinations)
	}
	if h := r.agent.Health(t.Context()); !h.OK() || h.Targets.Total != 1 {
		t.Errorf("health %+v", h)
	}
	if got := r.agent.CheckedTargets(t.Context()); len(got) != 1 || got[0].DestinationProblem != "" {
		t.Errorf("checked targets %+v", got)
	}

	r.docker.Fail(fakedocker.MethodVersion, fakedocker.Unreachable())
	if d := r.agent.Status(t.Context()).Agent.Docker; d.Reachable || !strings.Contains(d.Error, "does not answer") {
		t.Errorf("docker status without an answer: %+v", d)
	}
}

// Observers added after New are told too, and an observer of targets learns
// of every registration.
func TestAddObserver(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	a, err := New(testConfig(t, nil), Deps{Docker: dc, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	late := newRecorder()
	a.AddObserver(late)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-a.Ready()
	dc.Start(docker.Container{Name: "db", Labels: targetLabels(), ImageID: "x"})
	waitFor(t, "the late observer told", func() bool {
		late.mu.Lock()
		defer late.mu.Unlock()
		return len(late.registered) > 0 // the first list and the start event may both see it
	})
	if a.Destinations() == nil || a.Config().Threads != 4 {
		t.Errorf("Destinations %v, Config %+v", a.Destinations(), a.Config())
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
