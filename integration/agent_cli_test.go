//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// The agent's commands, as the real binary runs them: `plan` shows what would be
// backed up without running anything, `config check` masks secrets and names the
// variable at fault, and `backup NAME --via URL` runs a backup through a live agent.
func TestAgentCommands(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	selector := "BT_SELECTOR=" + rig.RunLabel + "=" + run
	ok := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-cli-ok", Image: rig.TinyImage, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.name": "shop-" + run,
		"baktainer.schedule": "30 2 * * *", "baktainer.backup.on_start": "true", rig.RunLabel: run}})
	bad := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-cli-bad", Image: rig.TinyImage, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.schedule": "61 * * * *", rig.RunLabel: run}})

	t.Run("plan", func(t *testing.T) {
		dir := t.TempDir()
		out, errOut, code := runBaktainer(t, []string{selector, "BT_BACKUP_DIR=" + dir, "TZ=Asia/Tokyo"}, "plan")
		if code != 0 {
			t.Fatalf("plan: exit %d: %s", code, errOut)
		}
		for _, want := range []string{"shop-" + run, ok, "postgres", "30 2 * * *", "(+ on start)", " 02:30:00 JST",
			filepath.Join(dir, "shop-"+run), bad, "NOT SCHEDULED", "label baktainer.schedule=\"61 * * * *\""} {
			if !strings.Contains(out, want) {
				t.Errorf("plan output lacks %q:\n%s", want, out)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("plan created %d entries in the backup directory; it must run nothing", len(entries))
		}
	})

	t.Run("config check", func(t *testing.T) {
		token := "PLANTED-token-0123456789"
		out, errOut, code := runBaktainer(t, []string{"BT_API_TOKEN=" + token, "BT_THREADS=8",
			"BT_DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/42/PLANTED-hook-token"}, "config", "check")
		if code != 0 || !strings.Contains(out, "BT_THREADS=8") || !strings.Contains(out, "BT_API_TOKEN=********") {
			t.Errorf("config check: exit %d, out:\n%s%s", code, out, errOut)
		}
		if strings.Contains(out+errOut, "PLANTED") {
			t.Errorf("config check shows a secret:\n%s", out)
		}
		_, errOut, code = runBaktainer(t, []string{"BT_THREADS=many", "BT_CRON=hourly"}, "config", "check")
		if code != 1 || !strings.Contains(errOut, "BT_THREADS:") || !strings.Contains(errOut, "BT_CRON:") {
			t.Errorf("bad config: exit %d, stderr:\n%s", code, errOut)
		}
	})

	t.Run("config check warns", func(t *testing.T) {
		// #10.7: a typo must not quietly mean plaintext archives.
		_, errOut, code := runBaktainer(t, []string{"BT_ENCRYPTION_RECIPIENT=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}, "config", "check")
		if code != 1 || !strings.Contains(errOut, "BT_ENCRYPTION_RECIPIENT: not a baktainer setting (ignored); did you mean BT_ENCRYPTION_RECIPIENTS?") {
			t.Errorf("config check with a typo: exit %d, stderr:\n%s", code, errOut)
		}
		_, errOut, code = runBaktainer(t, []string{"BT_ENCRYPTION_PASSPHRASE= "}, "config", "check")
		if code != 1 || !strings.Contains(errOut, "BT_ENCRYPTION_PASSPHRASE: is set but blank") {
			t.Errorf("config check with a blank passphrase: exit %d, stderr:\n%s", code, errOut)
		}
	})

	t.Run("help", func(t *testing.T) {
		out, errOut, code := runBaktainer(t, nil, "help", "backup")
		if code != 0 || !strings.Contains(out, "--via") || !strings.Contains(out, "Example:") || !strings.Contains(out, "retention") {
			t.Errorf("help backup: exit %d:\n%s%s", code, out, errOut)
		}
	})

	t.Run("backup --via", func(t *testing.T) {
		reg, _ := standinRegistry()
		token := "via-token-0123456789abcdef"
		ta := startAgent(t, dc, run+"-via", map[string]string{"BT_API_TOKEN": token, "BT_CRON": "@daily"}, reg)
		standin := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-cli-via", Image: rig.TinyImage, Labels: standinLabels(run + "-via")})
		waitUntil(t, 20*time.Second, func() string { return "not registered" }, func() bool { _, ok := ta.target(standin); return ok })

		_, errOut, code := runBaktainer(t, nil, "backup", standin, "--via", ta.url)
		if code == 0 || !strings.Contains(errOut, "API token") {
			t.Errorf("--via without the token: exit %d: %s", code, errOut)
		}
		out, errOut, code := runBaktainer(t, []string{"BT_API_TOKEN=" + token}, "backup", standin, "--via", ta.url)
		archive := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(archive, filepath.Join(ta.dir, standin)) {
			t.Fatalf("--via: exit %d, out %q: %s", code, out, errOut)
		}
		if _, err := os.Stat(archive); err != nil {
			t.Errorf("archive printed by --via: %v", err)
		}
		_, errOut, code = runBaktainer(t, []string{"BT_API_TOKEN=" + token}, "backup", "no-such-container-"+run, "--via", ta.url)
		if code == 0 || !strings.Contains(errOut, "not a backup target") {
			t.Errorf("--via of an unknown container: exit %d: %s", code, errOut)
		}
	})
}

// #10.6: `baktainer backup` applies the retention policy the agent applies after
// a backup (BT_RETENTION_*, then the container's baktainer.retention.* labels),
// never removing the archive it just wrote.
func TestBackupCommandAppliesRetention(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	name := "cli-retention-" + run
	c := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-cli-retention", Image: rig.SQLiteImage, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "sqlite", "baktainer.db.name": "/data/app.db",
		"baktainer.name": name, "baktainer.retention.count": "2", rig.RunLabel: run}})
	rig.Exec(t, dc, c, nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, c, "/data/app.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
	dir := t.TempDir()
	var planted []string
	for days := 3; days >= 1; days-- { // three earlier backups, oldest first
		planted = append(planted, plantArchive(t, dir, name, time.Now().Add(-time.Duration(days)*24*time.Hour)))
	}
	out, errOut, code := runBaktainer(t, []string{"BT_BACKUP_DIR=" + dir, "BT_RETENTION_COUNT=1"}, "backup", c)
	archive := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(archive, filepath.Join(dir, name)) {
		t.Fatalf("backup: exit %d, out %q:\n%s", code, out, errOut)
	}
	// The label (count 2) wins over BT_RETENTION_COUNT=1, as in the agent: the new
	// archive and the newest earlier one stay.
	for path, want := range map[string]bool{archive: true, planted[2]: true, planted[1]: false, planted[0]: false} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: present=%v, want %v (stderr:\n%s)", path, err == nil, want, errOut)
		}
	}
	if !strings.Contains(errOut, "retention applied") {
		t.Errorf("backup does not say it applied retention:\n%s", errOut)
	}
}

// plantArchive commits a small archive of name created at when under dir, as an
// earlier backup would have.
func plantArchive(t *testing.T, dir, name string, when time.Time) string {
	t.Helper()
	p, err := store.Create(dir, store.Meta{Name: name, Engine: "sqlite", Created: when}, "sqlite", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("SQLite format 3\x00 earlier backup")); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}
