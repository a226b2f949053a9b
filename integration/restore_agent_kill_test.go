//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// TestAgentSIGKILLDuringTestRestore: the agent (the real binary) is killed
// while a scheduled test-restore's scratch container runs; the container stays
// until the agent starts again, which finds it by its owner label and removes
// it at once (long before its deadline). The restarted agent's test-restore of
// an archive whose server never answers runs out of BT_VERIFY_TIMEOUT, fails
// naming the step, and removes its scratch container; the one its SIGTERM cuts
// short is cancelled and removed too. None of them ever had a network.
func TestAgentSIGKILLDuringTestRestore(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	watch := watchScratch(t, dc)
	spec, _ := engExample(t, engines.SQLite{}, rig.SQLiteImage, "", nil, nil)
	spec.Name = "verify-kill"
	spec.Labels[rig.RunLabel], spec.Labels[labels.Schedule] = run, "@every 1h"
	name := rig.Start(t, dc, spec)
	dir := t.TempDir()
	// The target's newest archive records an image whose server never answers.
	archive := neverReadyArchiveOf(t, dir, name)
	port := freePort(t)
	env := []string{"BT_BACKUP_DIR=" + dir, "BT_STATE_DIR=" + dir + "/.state", "BT_SELECTOR=" + rig.RunLabel + "=" + run,
		"BT_HEALTH_PORT=" + port, "BT_CRON=@daily", "BT_LOG_LEVEL=debug", "BT_VERIFY_CRON=@every 2s"}

	first := startAgentProcess(t, append(env, "BT_VERIFY_TIMEOUT=5m"), port)
	leftover := waitScratch(t, dc, filepath.Base(archive))
	owner := leftover.Labels[drill.LabelOwner]
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	time.Sleep(time.Second)
	if !scratchExists(t, dc, leftover.ID) {
		t.Fatal("the scratch container went away with no agent running: the test proves nothing")
	}

	killed := time.Now()
	second := startAgentProcess(t, append(env, "BT_VERIFY_TIMEOUT=10s"), port)
	waitUntil(t, 30*time.Second, func() string { return "the restarted agent left " + leftover.Name + ":\n" + second.logs.String() },
		func() bool { return !scratchExists(t, dc, leftover.ID) })
	t.Logf("the restarted agent removed %s %s after the kill (its deadline was 5 minutes)", leftover.Name, time.Since(killed).Round(time.Second))
	if !second.logs.Contains("removed a scratch container a test-restore left behind") {
		t.Errorf("the restarted agent did not say it removed the leftover:\n%s", second.logs.String())
	}

	var timedOut, interrupted agent.TestRestore
	waitUntil(t, 90*time.Second, func() string { return "no test-restore ran out of time:\n" + second.logs.String() }, func() bool {
		var list []agent.TestRestore
		apiQuiet(second.url+"/api/v1/verify?name="+name, &list)
		for _, tr := range list {
			switch {
			case tr.Outcome == agent.Failed && tr.Queued.After(killed):
				timedOut = tr
			case tr.Outcome == agent.Cancelled && tr.Queued.Before(killed):
				interrupted = tr
			}
		}
		return timedOut.ID != ""
	})
	if timedOut.FailedCheck != "server ready" || !strings.Contains(timedOut.Error, "deadline") || timedOut.Duration() > 30*time.Second {
		t.Errorf("the timed-out test-restore: check %q, error %q, %s", timedOut.FailedCheck, timedOut.Error, timedOut.Duration())
	}
	if interrupted.ID == "" || !strings.Contains(interrupted.Error, "interrupted") {
		t.Errorf("the killed agent's test-restore is not in the history as interrupted: %+v", interrupted)
	}
	// The next scheduled one is running or queued: SIGTERM cancels it.
	waitNextScratch(t, dc, filepath.Base(archive), leftover.Name, timedOut.Scratch)
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("the agent's stop: %v\n%s", err, second.logs.String())
	}
	watch.check(t, owner, 3)
}

// waitNextScratch waits for a running scratch container of the archive named
// base other than those named.
func waitNextScratch(t *testing.T, dc *docker.Client, base string, not ...string) {
	t.Helper()
	host := &drill.DockerHost{Client: dc}
	waitUntil(t, time.Minute, func() string { return "no next scratch container of " + base }, func() bool {
		found, err := host.ListScratch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range found {
			if c.Labels[drill.LabelArchive] == base && !contains(not, c.Name) {
				_, _, running, err := host.Isolation(context.Background(), c.ID)
				return err == nil && running
			}
		}
		return false
	})
}
