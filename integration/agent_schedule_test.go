//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
)

// A Postgres container labelled while the agent runs is backed up on its own
// (seconds-level) schedule, and the archive restores into a fresh container with
// the same data; a rename is followed; a removed container stops being scheduled.
// Alongside: a wrong password fails without retries, and an invalid schedule is
// reported for its container only.
func TestAgentSchedulesLabelledContainers(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "2"}, engines.Default())

	src := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "agent-pg", Env: []string{"POSTGRES_PASSWORD=src-Secret-5", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres",
			"baktainer.schedule": "@every 3s", rig.RunLabel: run},
	})
	scram := []string{"POSTGRES_PASSWORD=right-Secret-6", "POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256"}
	wrongPW := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "agent-pg-wrongpw", Env: scram, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.password_file": "/tmp/db_password",
		"baktainer.schedule": "@every 3s", rig.RunLabel: run}})
	rig.Exec(t, dc, wrongPW, strings.NewReader("wrong-Secret-7\n"), nil, "tee", "/tmp/db_password")
	badSchedule := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-badsched", Image: rig.TinyImage, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.schedule": "every day", rig.RunLabel: run}})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	seeded := time.Now().UTC()

	// Scheduled without anyone asking: wait for a backup that started after seeding.
	var archive string
	waitUntil(t, 90*time.Second, func() string { return "no successful scheduled backup of " + src + "; logs:\n" + ta.logs.String() }, func() bool {
		for _, a := range ta.attempts(src) {
			if a.Outcome == agent.Succeeded && a.Trigger == agent.TriggerSchedule && a.Started.After(seeded) {
				archive = a.Archive
				return true
			}
		}
		return false
	})
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "agent-pg-dst", Env: []string{"POSTGRES_PASSWORD=dst-Secret-8", "POSTGRES_DB=app"}})
	restore(t, dc, archive, dst)
	want, got := tableContents(t, dc, src), tableContents(t, dc, dst)
	for table, content := range want {
		if got[table] != content {
			t.Errorf("table %s differs after the agent's backup and a restore", table)
		}
	}

	t.Run("wrong password is not retried", func(t *testing.T) {
		var failed agent.Attempt
		waitUntil(t, 60*time.Second, func() string { return "no failed attempt of " + wrongPW }, func() bool {
			for _, a := range ta.attempts(wrongPW) {
				if a.Outcome == agent.Failed && strings.Contains(a.Error, "password authentication failed") {
					failed = a
					return true
				}
			}
			return false
		})
		if failed.Tries != 1 || failed.ErrorKind != agent.KindDumpTool || !strings.Contains(failed.Error, "baktainer.db.password_file") {
			t.Errorf("attempt = tries %d, kind %s, error %q; want 1 try, dump_tool, the server's message", failed.Tries, failed.ErrorKind, failed.Error)
		}
		for _, secret := range []string{"wrong-Secret-7", "right-Secret-6"} {
			if strings.Contains(failed.Error, secret) || ta.logs.Contains(secret) {
				t.Errorf("a password leaked into the attempt's error or the logs")
			}
		}
		// The schedule keeps trying every 3 s: stop it, and let an attempt in flight
		// (whose temp file is legitimately there) end, before looking for leftovers.
		rig.Remove(dc, wrongPW)
		waitUntil(t, 30*time.Second, func() string { return "an attempt of " + wrongPW + " still in flight" }, func() bool {
			for _, a := range ta.Active() {
				if a.Container == wrongPW {
					return false
				}
			}
			return true
		})
		if files := rig.ListFiles(t, filepath.Join(ta.dir, wrongPW)); len(files) != 0 {
			t.Errorf("failed backups left files: %v", files)
		}
	})

	t.Run("invalid schedule reported for its container only", func(t *testing.T) {
		st, ok := ta.target(badSchedule)
		if !ok || !strings.Contains(st.Problem, "baktainer.schedule") || !strings.Contains(st.Problem, badSchedule) || !st.NextRun.IsZero() {
			t.Fatalf("status of %s = %+v", badSchedule, st)
		}
		if n := len(ta.attempts(badSchedule)); n != 0 {
			t.Errorf("%d attempts for a container with an invalid schedule", n)
		}
		if !ta.logs.Contains("not scheduled until its labels are fixed") {
			t.Errorf("the invalid schedule was not logged")
		}
		if st, ok := ta.target(src); !ok || st.Problem != "" || st.NextRun.IsZero() {
			t.Errorf("a valid target was affected: %+v", st)
		}
	})

	t.Run("rename is followed", func(t *testing.T) {
		renamed := src + "-renamed"
		if _, err := dc.API().ContainerRename(context.Background(), src, client.ContainerRenameOptions{NewName: renamed}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rig.Remove(dc, renamed) })
		waitUntil(t, 10*time.Second, func() string { return "rename not followed" }, func() bool {
			_, ok := ta.target(renamed)
			return ok
		})
		if _, ok := ta.target(src); ok {
			t.Errorf("old name still registered")
		}
		// Removed: no longer scheduled, and no new attempt starts.
		rig.Remove(dc, renamed)
		waitUntil(t, 10*time.Second, func() string { return "removed container still registered" }, func() bool {
			_, ok := ta.target(renamed)
			return !ok
		})
		time.Sleep(time.Second) // let an attempt that was already running end
		listed := func() int {
			var atts []agent.Attempt
			api(t, "GET", ta.url+"/api/v1/backups?name="+renamed, "", nil, &atts)
			return len(atts)
		}
		before := listed()
		time.Sleep(7 * time.Second) // more than two periods of its schedule
		if after := listed(); after != before {
			t.Errorf("%d attempts after removal, %d before: still scheduled", after, before)
		}
	})
	if _, err := os.Stat(filepath.Join(ta.state, "history.jsonl")); err != nil {
		t.Errorf("history not persisted: %v", err)
	}
}
