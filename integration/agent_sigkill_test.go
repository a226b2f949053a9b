//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// agentProcess is the real `baktainer agent` binary running as a subprocess.
type agentProcess struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	url  string
}

func startAgentProcess(t *testing.T, env []string, port string) *agentProcess {
	t.Helper()
	p := &agentProcess{logs: &syncBuffer{}, url: "http://127.0.0.1:" + port}
	p.cmd = exec.Command(baktainerBinary(t), "agent")
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	waitUntil(t, 30*time.Second, func() string { return "agent API not up; logs:\n" + p.logs.String() }, func() bool {
		var out []agent.Attempt
		return apiQuiet(p.url+"/api/v1/backups", &out) == 200
	})
	return p
}

// SIGKILL of the agent during a backup, then a restart: no temp file remains, the
// history shows the interrupted attempt as failed, and the next run succeeds.
func TestAgentSIGKILLDuringBackup(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "agent-kill", Env: []string{"POSTGRES_PASSWORD=kill-Secret-9", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres",
			"baktainer.schedule": "@every 2s", rig.RunLabel: run},
	})
	rig.Psql(t, dc, pg, "postgres", "app", "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);")
	// Hold a lock pg_dump must wait for: the backup stays in flight as long as we like.
	lockCtx, unlock := context.WithCancel(context.Background())
	defer unlock()
	go func() {
		_ = dc.Exec(lockCtx, docker.ExecSpec{Container: pg, Cmd: []string{"psql", "-U", "postgres", "-d", "app", "-c",
			"BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"}})
	}()
	rig.WaitFor(t, dc, pg, 30*time.Second, "sh", "-c",
		`psql -U postgres -d app -Atc "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 't'::regclass" | grep -qx 1`)

	dir := t.TempDir()
	port := freePort(t)
	env := []string{"BT_BACKUP_DIR=" + dir, "BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_HEALTH_PORT=" + port,
		"BT_CRON=@daily", "BT_THREADS=2", "BT_LOG_LEVEL=debug"}
	first := startAgentProcess(t, env, port)

	// Wait until the backup is in flight, with its temp file on disk.
	var inFlight agent.Attempt
	waitUntil(t, 30*time.Second, func() string { return "no backup in flight; logs:\n" + first.logs.String() }, func() bool {
		var atts []agent.Attempt
		apiQuiet(first.url+"/api/v1/backups?name="+pg, &atts)
		for _, a := range atts {
			if a.Outcome == agent.Running {
				inFlight = a
				return len(tempFiles(t, dir)) > 0
			}
		}
		return false
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if left := tempFiles(t, dir); len(left) == 0 {
		t.Fatal("no temp file after the kill: the backup was not in flight")
	}
	rig.Psql(t, dc, pg, "postgres", "app", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid();")

	second := startAgentProcess(t, env, port)
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temp files remain after the restart: %v", left)
	}
	var got agent.Attempt
	if status := apiQuiet(second.url+"/api/v1/backups/"+inFlight.ID, &got); status != 200 ||
		got.Outcome != agent.Failed || got.ErrorKind != agent.KindInterrupted {
		t.Errorf("interrupted attempt after restart: HTTP %d, %+v", status, got)
	}
	var ok agent.Attempt
	waitUntil(t, 60*time.Second, func() string { return "no successful backup after the restart; logs:\n" + second.logs.String() }, func() bool {
		var atts []agent.Attempt
		apiQuiet(second.url+"/api/v1/backups?name="+pg, &atts)
		for _, a := range atts {
			if a.Outcome == agent.Succeeded {
				ok = a
				return true
			}
		}
		return false
	})
	rig.Run(t, nil, "sh", "-c", `cd "$(dirname "$1")" && sha256sum -c "$(basename "$1").sha256"`, "sh", ok.Archive)
	sql := rig.Run(t, nil, rig.Tool(t, "zstd"), "-dc", ok.Archive)
	if !bytes.Contains(sql, []byte("PostgreSQL database dump complete")) {
		t.Errorf("the archive after the restart is not a complete dump")
	}
	// A clean stop: SIGTERM ends it with status 0.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("agent exit after SIGTERM: %v; logs:\n%s", err, second.logs.String())
	}
}

// tempFiles lists the files under dir a writer has not finished.
func tempFiles(t *testing.T, dir string) []string {
	var out []string
	for _, f := range rig.ListFiles(t, dir) {
		if strings.HasPrefix(filepath.Base(f), ".baktainer-tmp-") {
			out = append(out, f)
		}
	}
	return out
}
