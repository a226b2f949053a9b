//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
)

// #13: the Ruby tool's archives of a real Postgres dump (its own pg_dump command,
// written as it wrote them, under the README's quoted name) through the binary:
// `list` shows them under the mapped name, `migrate` rewrites them (the encrypted
// one with BT_ENCRYPTION_KEY), `restore` brings a migrated one back into a fresh
// container, and `prune` counts each original with its copy, removing the two
// together.
func TestRubyArchivesThroughTheCLI(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	env := []string{"POSTGRES_PASSWORD=StrongPassword", "POSTGRES_DB=app"}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ruby-cli-src", Env: env, Labels: engRunLabels(legacyRubyReadmeLabels)})
	fresh := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ruby-cli-fresh", Env: env, Labels: engRunLabels(nil)})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL+pgBulkSQL)
	want := pgDatabaseSnapshot(t, dc, src, "app", "StrongPassword")
	dump := legacyRubyDump(t, dc, src, []string{"PGPASSWORD=StrongPassword"}, "pg_dump", "-U", "postgres", "-d", "app")

	dir := t.TempDir()
	key := strings.Repeat("5e", 32)
	var ruby []string
	for i, s := range []legacytest.Settings{{}, {Env: map[string]string{"BT_ENCRYPTION_ENABLED": "true", legacy.EnvKey: key}}} {
		s.Dir = dir
		p, err := legacytest.Write(s, legacytest.Backup{Name: `"MyApp"`, Engine: "postgres", Database: "app",
			Time: time.Now().Add(time.Duration(i-2) * time.Hour), Dump: dump})
		if err != nil {
			t.Fatal(err)
		}
		ruby = append(ruby, p)
	}
	out, errOut, code := runBaktainer(t, nil, "list", dir, "--json")
	var listed []map[string]any
	if err := json.Unmarshal([]byte(out), &listed); err != nil || code != 0 || len(listed) != 2 ||
		listed[0]["name"] != "MyApp" || listed[1]["format"] != "ruby" || listed[1]["encryption"] != "bakt" {
		t.Fatalf("list: exit %d, %v\n%s%s", code, err, out, errOut)
	}

	keyEnv := []string{legacy.EnvKey + "=" + key, "BT_ENCRYPTION_ENABLED=false"}
	out, errOut, code = runBaktainer(t, keyEnv, "migrate", dir)
	if code != 0 || strings.Count(out, "migrated ") != 2 || !strings.Contains(out, "read back: the same dump") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	var migrated []string
	for _, line := range strings.Split(out, "\n") {
		if _, after, ok := strings.Cut(line, " -> "); ok {
			migrated = append(migrated, strings.Fields(after)[0])
		}
	}
	if len(migrated) != 2 || !strings.Contains(migrated[1], "/MyApp/") {
		t.Fatalf("migrated archives %v", migrated)
	}
	if out, errOut, code := runBaktainer(t, nil, "restore", migrated[1], "--container", fresh); code != 0 {
		t.Fatalf("restore of the migrated encrypted archive: exit %d\n%s%s", code, out, errOut)
	}
	if got := pgDatabaseSnapshot(t, dc, fresh, "app", "StrongPassword"); got != want {
		t.Fatalf("restored from a migrated Ruby-era archive, the data differs:\n%s", legacyDiff(want, got))
	}

	out, errOut, code = runBaktainer(t, keyEnv, "prune", dir, "--count", "1")
	if code != 0 || !strings.Contains(out, "2 archive(s) removed") {
		t.Fatalf("prune: exit %d\n%s%s", code, out, errOut)
	}
	for i, p := range []string{ruby[0], migrated[0], ruby[1], migrated[1]} {
		if _, err := os.Stat(p); (i < 2) != os.IsNotExist(err) {
			t.Errorf("%s: %v, want removed %v\n%s", p, err, i < 2, out)
		}
	}
}
