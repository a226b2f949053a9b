//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// baktainer.stop_during_backup against real containers and the real binary: the
// group's containers (those the agent's selectors match) are stopped while
// pg_dump runs and started again after it, when the dump succeeds, when it
// fails, and when the agent is SIGKILLed mid-dump (by the next agent, at its
// start, from what the first recorded in the state directory).
func TestControlStopDuringBackup(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	group := "ctl-group-" + run
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ctl-stop", Env: []string{"POSTGRES_PASSWORD=stop-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres",
			"baktainer.stop_during_backup": group, rig.RunLabel: run}})
	rig.Psql(t, dc, pg, "postgres", "app", "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);")
	member := func(name string, labels map[string]string) string {
		return rig.Start(t, dc, rig.ContainerSpec{Name: name, Image: rig.TinyImage, Labels: labels})
	}
	web := member("ctl-stop-web", map[string]string{"baktainer.stop_during_backup_group": group, rig.RunLabel: run})
	worker := member("ctl-stop-worker", map[string]string{"baktainer.stop_during_backup_group": group, rig.RunLabel: run})
	outsider := member("ctl-stop-outsider", map[string]string{"baktainer.stop_during_backup_group": group}) // not this agent's
	members := []string{web, worker}

	dir, state, port := t.TempDir(), t.TempDir(), freePort(t)
	env := []string{"BT_BACKUP_DIR=" + dir, "BT_STATE_DIR=" + state, "BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_HEALTH_PORT=" + port,
		"BT_CRON=@yearly", "BT_BACKUP_RETRIES=0", "BT_LOG_LEVEL=debug"}
	ag := startAgentProcess(t, env, port)
	runNow := func(p *agentProcess) string {
		var att agent.Attempt
		if code := api(t, "POST", p.url+"/api/v1/backups", "", agent.BackupRequest{Container: pg}, &att); code != 202 {
			t.Fatalf("run now: HTTP %d: %+v", code, att)
		}
		return att.ID
	}
	final := func(p *agentProcess, id string) agent.Attempt {
		var att agent.Attempt
		waitUntil(t, 2*time.Minute, func() string { return "attempt " + id + " did not end; logs:\n" + p.logs.String() }, func() bool {
			return apiQuiet(p.url+"/api/v1/backups/"+id, &att) == 200 && att.Outcome.Final()
		})
		return att
	}
	stoppedDuringDump := func(what string) {
		t.Helper()
		cmdline := ctlWaitForProcess(t, dc, pg, "pg_dump")
		for _, m := range members {
			if ctlRunning(t, dc, m) {
				t.Errorf("%s: %s runs while %q does", what, m, cmdline)
			}
		}
		if !ctlRunning(t, dc, outsider) {
			t.Errorf("%s: %s, outside the agent's selectors, was stopped", what, outsider)
		}
	}
	runningAgain := func(what string) {
		t.Helper()
		waitUntil(t, 60*time.Second, func() string { return what + ": the group does not run again" }, func() bool {
			return ctlRunning(t, dc, web) && ctlRunning(t, dc, worker)
		})
	}

	t.Run("the dump succeeds", func(t *testing.T) {
		release := ctlHoldTable(t, dc, pg, "app", "t")
		id := runNow(ag)
		stoppedDuringDump("succeeding")
		release()
		if att := final(ag, id); att.Outcome != agent.Succeeded || len(att.Stopped) != 2 {
			t.Fatalf("attempt: %+v", att)
		}
		runningAgain("after a dump that succeeded")
	})

	t.Run("the dump fails", func(t *testing.T) {
		release := ctlHoldTable(t, dc, pg, "app", "t")
		defer release()
		id := runNow(ag)
		stoppedDuringDump("failing")
		rig.Psql(t, dc, pg, "postgres", "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump';")
		if att := final(ag, id); att.Outcome != agent.Failed {
			t.Fatalf("attempt: %+v", att)
		}
		runningAgain("after a dump that failed")
	})

	t.Run("the agent is killed mid-dump", func(t *testing.T) {
		release := ctlHoldTable(t, dc, pg, "app", "t")
		defer release()
		runNow(ag)
		stoppedDuringDump("killed")
		if err := ag.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = ag.cmd.Wait()
		time.Sleep(time.Second)
		for _, m := range members {
			if ctlRunning(t, dc, m) {
				t.Fatalf("%s runs after the kill: nothing left for the next agent to do", m)
			}
		}
		recorded, err := os.ReadFile(filepath.Join(state, "stopped-containers.json"))
		if err != nil || !strings.Contains(string(recorded), web) || !strings.Contains(string(recorded), worker) {
			t.Fatalf("the state directory does not record the stopped group: %v %s", err, recorded)
		}
		release()
		next := startAgentProcess(t, env, port)
		runningAgain("at the next agent's start")
		if !next.logs.Contains("started container " + web + " again") {
			t.Errorf("the next agent does not say it started %s again; logs:\n%s", web, next.logs.String())
		}
		if _, err := os.Stat(filepath.Join(state, "stopped-containers.json")); !os.IsNotExist(err) {
			t.Errorf("the state directory still records stopped containers: %v", err)
		}
		_ = next.cmd.Process.Signal(syscall.SIGTERM)
		_ = next.cmd.Wait()
	})
}
