//go:build integration

package integration

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// Two containers that claim one backup name in one destination: the second is
// refused (not scheduled, a problem naming both containers and the label), so it
// cannot prune the first one's archives; the first keeps backing up. When the
// first goes away, the second takes the name over.
func TestAgentRefusesASecondTargetOfTheSameName(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "0"}, reg)
	shared := "shared-" + run
	same := func(int) map[string]string {
		return standinLabels(run, labels.Name, shared, labels.KeepCount, "1")
	}
	first := startTinies(t, dc, "name-first", 1, same)[0]
	waitUntil(t, 30*time.Second, func() string { return "first not registered" }, func() bool { _, ok := ta.target(first); return ok })
	backUp := func(container string) agent.Attempt {
		t.Helper()
		before := len(ta.attempts(shared))
		var att agent.Attempt
		if status := api(t, "POST", ta.url+"/api/v1/backups", "", agent.BackupRequest{Container: container}, &att); status != http.StatusAccepted {
			t.Fatalf("run-now of %s: HTTP %d", container, status)
		}
		waitUntil(t, 30*time.Second, func() string { return "backup of " + container + " did not end" }, func() bool {
			return len(ta.attempts(shared)) > before
		})
		return ta.attempts(shared)[0]
	}
	if a := backUp(first); a.Outcome != agent.Succeeded {
		t.Fatalf("first backup of %s: %s %s", first, a.Outcome, a.Error)
	}
	firstArchive := ta.attempts(shared)[0].Archive

	second := startTinies(t, dc, "name-second", 1, same)[0]
	var st agent.TargetStatus
	waitUntil(t, 30*time.Second, func() string { return "second not registered" }, func() bool {
		var ok bool
		st, ok = ta.target(second)
		return ok
	})
	t.Logf("second: problem %q", st.Problem)
	for _, want := range []string{first, second, labels.Name, shared} {
		if !strings.Contains(st.Problem, want) {
			t.Errorf("the second container's problem %q does not name %q", st.Problem, want)
		}
	}
	if st.Schedule != "" || !st.NextRun.IsZero() {
		t.Errorf("the second container is scheduled: %+v", st.TargetInfo)
	}
	var refused map[string]string
	if status := api(t, "POST", ta.url+"/api/v1/backups", "", agent.BackupRequest{Container: second}, &refused); status != http.StatusUnprocessableEntity {
		t.Errorf("run-now of the second container: HTTP %d %v, want 422", status, refused)
	}
	if _, err := os.Stat(firstArchive); err != nil {
		t.Errorf("the first container's archive: %v", err)
	}
	if s, _ := ta.target(first); s.Problem != "" {
		t.Errorf("the first container got a problem: %q", s.Problem)
	}
	if a := backUp(first); a.Outcome != agent.Succeeded || a.Container != first {
		t.Errorf("the first container's next backup: %+v", a)
	}

	rig.Remove(dc, first)
	waitUntil(t, 30*time.Second, func() string { s, _ := ta.target(second); return "the second kept its problem: " + s.Problem }, func() bool {
		s, ok := ta.target(second)
		return ok && s.Problem == "" && s.Schedule != ""
	})
	if a := backUp(second); a.Outcome != agent.Succeeded || a.Container != second {
		t.Errorf("the second container's backup once the name was free: %+v", a)
	}
}
