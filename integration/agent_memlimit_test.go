//go:build integration

package integration

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// TestAgentMemoryLimitFollowsBackups: the agent binary sets the runtime's soft
// memory limit (its /metrics' go_gc_gomemlimit_bytes) while a backup runs and
// lifts it when the backup ends (agent/memlimit.go); with GOMEMLIMIT in its
// environment it leaves the user's limit alone, backup or not.
func TestAgentMemoryLimitFollowsBackups(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "agent-memlimit", Env: []string{"POSTGRES_PASSWORD=memlimit-Secret-9", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run},
	})
	rig.Psql(t, dc, pg, "postgres", "app", "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);")
	const off, oneBackup, users = int64(1<<63 - 1), int64(48 << 20), int64(300 << 20)

	for _, tc := range []struct {
		name                 string
		gomemlimit           string
		idle, duringBackupLo int64
		duringBackupHi       int64
	}{
		// The base (16 MiB, or twice the idle agent's heap) plus one share (32 MiB).
		{"default", "", off, oneBackup, 2 * oneBackup},
		{"the user's GOMEMLIMIT", "300MiB", users, users, users},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			p := startAgentProcess(t, []string{"BT_BACKUP_DIR=" + dir, "BT_SELECTOR=" + rig.RunLabel + "=" + run,
				"BT_HEALTH_PORT=" + port, "BT_CRON=@yearly", "GOMEMLIMIT=" + tc.gomemlimit}, port)
			if got := memoryLimitOf(t, p.url); got != tc.idle {
				t.Errorf("idle: the memory limit is %d, want %d", got, tc.idle)
			}
			unlock := holdTableLock(t, dc, pg)
			var att agent.Attempt
			if code := benchPost(p.url+"/api/v1/backups", `{"container":"`+pg+`"}`, &att); code != http.StatusAccepted {
				t.Fatalf("POST /api/v1/backups: HTTP %d; logs:\n%s", code, p.logs.String())
			}
			waitUntil(t, 30*time.Second, func() string { return "the backup never ran; logs:\n" + p.logs.String() }, func() bool {
				apiQuiet(p.url+"/api/v1/backups/"+att.ID, &att)
				return att.Outcome == agent.Running && len(tempFiles(t, dir)) > 0
			})
			if got := memoryLimitOf(t, p.url); got < tc.duringBackupLo || got > tc.duringBackupHi {
				t.Errorf("during the backup: the memory limit is %d MiB, want %d to %d MiB", got>>20, tc.duringBackupLo>>20, tc.duringBackupHi>>20)
			}
			unlock()
			waitUntil(t, 60*time.Second, func() string { return "the backup never ended; logs:\n" + p.logs.String() }, func() bool {
				apiQuiet(p.url+"/api/v1/backups/"+att.ID, &att)
				return att.Outcome.Final()
			})
			if att.Outcome != agent.Succeeded {
				t.Fatalf("the backup: %s %s", att.Outcome, att.Error)
			}
			if got := memoryLimitOf(t, p.url); got != tc.idle {
				t.Errorf("after the backup: the memory limit is %d, want %d", got, tc.idle)
			}
		})
	}
}

// holdTableLock holds a lock on app's table t that pg_dump must wait for,
// until the returned function releases it.
func holdTableLock(t *testing.T, dc *docker.Client, pg string) (unlock func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_ = dc.Exec(ctx, docker.ExecSpec{Container: pg, Cmd: []string{"psql", "-U", "postgres", "-d", "app", "-c",
			"BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"}})
	}()
	rig.WaitFor(t, dc, pg, 30*time.Second, "sh", "-c",
		`psql -U postgres -d app -Atc "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 't'::regclass" | grep -qx 1`)
	released := false
	unlock = func() {
		if released {
			return
		}
		released = true
		rig.Psql(t, dc, pg, "postgres", "app", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid();")
		cancel()
	}
	t.Cleanup(unlock)
	return unlock
}

// memoryLimitOf reads go_gc_gomemlimit_bytes from the agent's /metrics.
func memoryLimitOf(t *testing.T, base string) int64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "go_gc_gomemlimit_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("go_gc_gomemlimit_bytes %q: %v", v, err)
			}
			if f >= float64(1<<63-1) {
				return 1<<63 - 1
			}
			return int64(f)
		}
	}
	t.Fatalf("no go_gc_gomemlimit_bytes in %s/metrics (HTTP %d)", base, resp.StatusCode)
	return 0
}
