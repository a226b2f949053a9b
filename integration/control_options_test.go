//go:build integration

package integration

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// baktainer.db.options reach pg_dump as argv words after baktainer's own, as the
// container's /proc shows them while it runs (the password not among them), and
// shape the dump; a denied option is refused by labels check, backup and the
// agent before anything runs in the container.
func TestControlDumpOptions(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	password := "Opt-Planted-" + run
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ctl-options", Env: []string{"POSTGRES_PASSWORD=" + password, "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run,
			"baktainer.db.options": `["--no-owner","--exclude-table-data=audit_log"]`}})
	rig.Psql(t, dc, pg, "postgres", "app", "CREATE TABLE t (id int); INSERT INTO t VALUES (1);"+
		"CREATE TABLE audit_log (line text); INSERT INTO audit_log VALUES ('planted-audit-row');")
	denied := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ctl-options-denied", Env: []string{"POSTGRES_PASSWORD=" + password},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run,
			"baktainer.db.options": `["--no-owner","--file=/tmp/elsewhere.sql"]`}})
	ta := startAgent(t, dc, run, map[string]string{"BT_BACKUP_RETRIES": "0"}, nil)

	t.Run("they reach the tool", func(t *testing.T) {
		release := ctlHoldTable(t, dc, pg, "app", "t")
		queued, err := ta.RunNow(pg)
		if err != nil {
			t.Fatal(err)
		}
		cmdline := ctlWaitForProcess(t, dc, pg, "pg_dump")
		if !strings.HasSuffix(cmdline, "--clean --if-exists --no-owner --exclude-table-data=audit_log") || strings.Contains(cmdline, password) {
			t.Errorf("pg_dump's command line in the container: %q", cmdline)
		}
		release()
		var att agent.Attempt
		waitUntil(t, time.Minute, func() string { return "no end; logs:\n" + ta.logs.String() }, func() bool {
			att, _ = ta.Attempt(queued.ID)
			return att.Outcome.Final()
		})
		if att.Outcome != agent.Succeeded {
			t.Fatalf("attempt: %+v", att)
		}
		sql := rig.Run(t, nil, rig.Tool(t, "zstd"), "-dc", att.Archive)
		if !bytes.Contains(sql, []byte("CREATE TABLE public.audit_log")) || bytes.Contains(sql, []byte("planted-audit-row")) ||
			bytes.Contains(sql, []byte("OWNER TO")) {
			t.Errorf("the dump does not follow --no-owner --exclude-table-data=audit_log")
		}
	})

	t.Run("a denied one is refused before anything runs", func(t *testing.T) {
		env := []string{"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_BACKUP_DIR=" + t.TempDir()}
		out, _, code := runBaktainer(t, env, "labels", "check", denied)
		if code != 1 || !strings.Contains(out, `label baktainer.db.options="--file=/tmp/elsewhere.sql": --file is not allowed for postgres: it writes the dump somewhere other than to baktainer`) {
			t.Errorf("labels check: exit %d\n%s", code, out)
		}
		_, errOut, code := runBaktainer(t, env, "backup", denied)
		if code == 0 || !strings.Contains(errOut, "--file is not allowed") {
			t.Errorf("backup: exit %d\n%s", code, errOut)
		}
		s, ok := ta.target(denied)
		if !ok || !strings.Contains(s.Problem, "--file is not allowed for postgres") || !s.NextRun.IsZero() {
			t.Errorf("the agent's target: %+v", s)
		}
		var invalid *agent.InvalidTargetError
		if _, err := ta.RunNow(denied); !errors.As(err, &invalid) {
			t.Errorf("run now: %v", err)
		}
		if _, err := rig.TryExec(dc, denied, nil, nil, "test", "-e", "/tmp/elsewhere.sql"); err == nil {
			t.Error("the denied option ran: /tmp/elsewhere.sql exists")
		}
		if files := rig.ListFiles(t, ta.dir+"/"+denied); len(files) != 0 {
			t.Errorf("files under the denied target's name: %v", files)
		}
	})
}
