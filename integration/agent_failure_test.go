//go:build integration

package integration

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// A container killed in the middle of its dump: the cut-short dump never becomes an
// archive. The failure is transient only if the container comes back: without a
// restart policy the retry finds it stopped and gives up; with one, the retry
// succeeds.
func TestAgentContainerDiesMidDump(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, dumps := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "2", "BT_BACKUP_RETRY_DELAY": "2s"}, reg)
	slow := func(name string, restart container.RestartPolicyMode) string {
		full := name + "-" + rig.RunID()
		ctx := context.Background()
		created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{Name: full,
			Config:     &container.Config{Image: rig.TinyImage, Labels: standinLabels(run, dumpBytesLabel, "1000000", dumpSecondsLabel, "4")},
			HostConfig: &container.HostConfig{NetworkMode: "none", RestartPolicy: container.RestartPolicy{Name: restart}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rig.Remove(dc, full) })
		if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		return full
	}
	for _, tc := range []struct {
		name    string
		restart container.RestartPolicyMode
		outcome agent.Outcome
		kind    agent.ErrorKind
	}{
		{"stays dead", container.RestartPolicyDisabled, agent.Failed, agent.KindNotRunning},
		{"restarted", container.RestartPolicyAlways, agent.Succeeded, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := slow("agent-die", tc.restart)
			waitUntil(t, 20*time.Second, func() string { return "not registered" }, func() bool { _, ok := ta.target(name); return ok })
			_, _, before, _ := dumps.maxima()
			if status := api(t, "POST", ta.url+"/api/v1/backups", "", agent.BackupRequest{Container: name}, &agent.Attempt{}); status != 202 {
				t.Fatalf("run-now: HTTP %d", status)
			}
			waitUntil(t, 20*time.Second, func() string { return "dump never started" }, func() bool { _, _, started, _ := dumps.maxima(); return started > before })
			time.Sleep(time.Second) // mid-dump
			// Kill its main process from the host, as a crash would (`docker kill`
			// counts as a manual stop, which restart policies ignore).
			inspected, err := dc.API().ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
			if err != nil || inspected.Container.State == nil || inspected.Container.State.Pid == 0 {
				t.Fatalf("inspect %s: %v", name, err)
			}
			if err := syscall.Kill(inspected.Container.State.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			var a agent.Attempt
			waitUntil(t, 90*time.Second, func() string { return "attempt did not end; logs:\n" + ta.logs.String() }, func() bool {
				atts := ta.attempts(name)
				if len(atts) > 0 {
					a = atts[0]
				}
				return len(atts) > 0
			})
			if a.Outcome != tc.outcome || a.ErrorKind != tc.kind || a.Tries != 2 {
				t.Errorf("attempt: %s, kind %q, %d tries, error %q; want %s, kind %q, 2 tries", a.Outcome, a.ErrorKind, a.Tries, a.Error, tc.outcome, tc.kind)
			}
			files := rig.ListFiles(t, ta.dir+"/"+name)
			if tc.outcome == agent.Failed && len(files) != 0 {
				t.Errorf("the cut-short dump left files: %v", files)
			}
			for _, f := range files {
				if strings.Contains(f, ".baktainer-tmp-") {
					t.Errorf("temp file left: %s", f)
				}
			}
		})
	}
}

// baktainer.backup.on_start=true backs a container up as soon as the agent sees it
// start; a dump longer than BT_BACKUP_TIMEOUT fails as a timeout, is not retried,
// and leaves nothing behind.
func TestAgentOnStartAndTimeout(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_TIMEOUT": "2s", "BT_BACKUP_RETRIES": "2"}, reg)
	quick := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-onstart", Image: rig.TinyImage,
		Labels: standinLabels(run, "baktainer.backup.on_start", "true")})
	slow := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-timeout", Image: rig.TinyImage,
		Labels: standinLabels(run, "baktainer.backup.on_start", "true", dumpSecondsLabel, "30")})
	for _, name := range []string{quick, slow} {
		waitUntil(t, 30*time.Second, func() string { return "no on_start attempt of " + name }, func() bool { return len(ta.attempts(name)) > 0 })
	}
	if a := ta.attempts(quick)[0]; a.Trigger != agent.TriggerOnStart || a.Outcome != agent.Succeeded {
		t.Errorf("on_start attempt: %+v", a)
	}
	a := ta.attempts(slow)[0]
	if a.Trigger != agent.TriggerOnStart || a.Outcome != agent.Failed || a.ErrorKind != agent.KindTimeout || a.Tries != 1 ||
		!strings.Contains(a.Error, "BT_BACKUP_TIMEOUT") || a.Duration() > 10*time.Second {
		t.Errorf("timed-out attempt: %s, kind %s, %d tries, %s, %q", a.Outcome, a.ErrorKind, a.Tries, a.Duration(), a.Error)
	}
	if files := rig.ListFiles(t, ta.dir+"/"+slow); len(files) != 0 {
		t.Errorf("the timed-out backup left files: %v", files)
	}
}
