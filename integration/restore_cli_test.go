//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
)

// TestRestoreGuidedPostgres: restore refuses a database that holds data, saying
// what it found and changing nothing; a tampered archive restores nothing even
// with --force; --force restores, with progress and a summary of what came back.
func TestRestoreGuidedPostgres(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	env := []string{"POSTGRES_PASSWORD=guided-Secret-1", "POSTGRES_DB=app"}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-src", Env: env, Labels: engRunLabels(map[string]string{
		labels.Backup: "true", labels.Engine: "postgres"})})
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-dst", Env: env, Labels: engRunLabels(nil)})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	rig.Psql(t, dc, dst, "postgres", "app", `CREATE TABLE keep (id int, note text); INSERT INTO keep VALUES (1, 'mine'), (2, 'also mine');
CREATE TABLE people (id int); INSERT INTO people VALUES (42);`)
	res := backup(t, dc, src, t.TempDir())
	before := pgDatabaseSnapshot(t, dc, dst, "app", "")

	out, errOut, code := runBaktainer(t, nil, "restore", res.Path, "--container", dst)
	t.Logf("without --force: exit %d\n%s%s", code, out, errOut)
	if code == 0 || !strings.Contains(errOut, "already holds data") || !strings.Contains(errOut, "public.keep") ||
		!strings.Contains(errOut, "--force") {
		t.Fatalf("a restore into a database holding tables: exit %d; want a refusal naming public.keep and --force", code)
	}
	if after := pgDatabaseSnapshot(t, dc, dst, "app", ""); after != before {
		t.Fatalf("a refused restore changed the database:\n%s", firstLineDiff(before, after))
	}

	tampered := copyArchiveSet(t, res.Path)
	data, err := os.ReadFile(tampered)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	writeFileT(t, tampered, data)
	_, errOut, code = runBaktainer(t, nil, "restore", tampered, "--container", dst, "--force")
	if code == 0 || !strings.Contains(errOut, "checksum mismatch") {
		t.Fatalf("restore of a tampered archive: exit %d: %s", code, errOut)
	}
	if after := pgDatabaseSnapshot(t, dc, dst, "app", ""); after != before {
		t.Fatalf("a tampered archive changed the database:\n%s", firstLineDiff(before, after))
	}

	out, errOut, code = runBaktainer(t, nil, "restore", res.Path, "--container", dst, "--force")
	t.Logf("with --force: exit %d\n%s%s", code, out, errOut)
	if code != 0 {
		t.Fatalf("restore --force: exit %d", code)
	}
	if !strings.Contains(errOut, "restoring: ") || !strings.Contains(errOut, "MiB") {
		t.Errorf("no progress on standard error")
	}
	for _, want := range []string{"restored database app", "database app: 3 tables, 12505 rows", "every table holds the rows the dump held"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q", want)
		}
	}
	if got, want := tableContents(t, dc, dst)["public.people"], tableContents(t, dc, src)["public.people"]; got != want {
		t.Error("people differs from the source after the restore")
	}
}

// TestRestoreGuidedDatabase: --db restores one database of a pg_dumpall backup,
// and a one-database backup into another database name.
func TestRestoreGuidedDatabase(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	env := []string{"POSTGRES_PASSWORD=guided-Secret-2", "POSTGRES_DB=app"}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-all-src", Env: env, Labels: engRunLabels(map[string]string{
		labels.Backup: "true", labels.Engine: "postgres", labels.All: "true"})})
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-all-dst", Env: env, Labels: engRunLabels(nil)})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	rig.Psql(t, dc, src, "postgres", "postgres", "CREATE DATABASE other;")
	rig.Psql(t, dc, src, "postgres", "other", `CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, 'one'), (2, 'two');`)
	all := backup(t, dc, src, t.TempDir())

	rig.Psql(t, dc, dst, "postgres", "postgres", "CREATE DATABASE other; CREATE DATABASE copy;")
	out, errOut, code := runBaktainer(t, nil, "restore", all.Path, "--container", dst, "--db", "other")
	t.Logf("--db other: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "database other: 1 tables, 2 rows") {
		t.Fatalf("restore --db other of a pg_dumpall backup: exit %d", code)
	}
	if got := rig.Psql(t, dc, dst, "postgres", "other", "SELECT string_agg(body, ',' ORDER BY id) FROM notes"); strings.TrimSpace(got) != "one,two" {
		t.Errorf("other.notes after --db other: %q", got)
	}
	if tables := rig.Psql(t, dc, dst, "postgres", "app", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); strings.TrimSpace(tables) != "0" {
		t.Errorf("--db other restored into app too: %s tables", tables)
	}

	// The cluster dump's one database again, now into another name: selected, then renamed.
	out, errOut, code = runBaktainer(t, nil, "restore", all.Path, "--container", dst, "--db", "nosuch")
	if code == 0 || !strings.Contains(errOut, `no database "nosuch"`) {
		t.Errorf("--db of a database the dump lacks: exit %d: %s%s", code, out, errOut)
	}
	one := backup(t, dc, rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-one-src", Env: env,
		Labels: engRunLabels(map[string]string{labels.Backup: "true", labels.Engine: "postgres", labels.Database: "app"})}), t.TempDir())
	out, errOut, code = runBaktainer(t, nil, "restore", one.Path, "--container", dst, "--db", "copy")
	t.Logf("--db copy: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "into database copy") {
		t.Fatalf("restore --db copy of a one-database backup: exit %d", code)
	}
}

// TestRestoreGuidedMariaDB: --db restores one database of a dump of every
// database into a MariaDB that holds it empty; a second run is refused.
func TestRestoreGuidedMariaDB(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("guided-maria")
	spec, _ := engExample(t, engines.MariaDB{}, rig.MariaDBImage, secret, nil, map[string]string{labels.All: "true", labels.Database: ""})
	src := rig.Start(t, dc, spec)
	dstSpec, _ := engExample(t, engines.MariaDB{}, rig.MariaDBImage, secret, []string{"MARIADB_DATABASE=other"}, map[string]string{labels.Backup: "", labels.Database: "", labels.Engine: ""})
	dst := rig.Start(t, dc, dstSpec)
	rig.WaitMariaDB(t, dc, src)
	rig.MySQL(t, dc, src, "root", secret, "app", mysqlSeedSQL)
	rig.MySQL(t, dc, src, "root", secret, "", `CREATE DATABASE other; CREATE TABLE other.notes (id INT); INSERT INTO other.notes VALUES (1),(2),(3);`)
	res := backup(t, dc, src, t.TempDir())
	rig.WaitMariaDB(t, dc, dst)
	out, errOut, code := runBaktainer(t, nil, "restore", res.Path, "--container", dst, "--db", "other")
	t.Logf("--db other: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "database other: 1 tables, 3 rows") {
		t.Fatalf("restore --db other: exit %d", code)
	}
	if dbs := rig.MySQL(t, dc, dst, "root", secret, "", "SHOW DATABASES LIKE 'app'"); strings.TrimSpace(dbs) != "" {
		t.Errorf("--db other restored database app too")
	}
	_, errOut, code = runBaktainer(t, nil, "restore", res.Path, "--container", dst, "--db", "other")
	if code == 0 || !strings.Contains(errOut, "database other has 1 tables (notes)") {
		t.Errorf("a second restore into the filled database: exit %d: %s", code, errOut)
	}
}

// TestRestoreGuidedLegacy: a Ruby-era archive (BAKT, gzip) is restored by the same
// command, its key from the Ruby tool's own variable, and test-restored too.
func TestRestoreGuidedLegacy(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	env := []string{"POSTGRES_PASSWORD=legacy-Secret-3", "POSTGRES_DB=app"}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-legacy-src", Env: env, Labels: engRunLabels(nil)})
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "guided-legacy-dst", Env: env, Labels: engRunLabels(nil)})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	dump := legacyRubyDump(t, dc, src, []string{"PGPASSWORD=legacy-Secret-3"}, "pg_dump", "-U", "postgres", "-d", "app")
	key := strings.Repeat("7a", 32)
	a, _ := legacyWrite(t, t.TempDir(), legacyVariant{name: "hex key", keyVar: legacy.EnvKey, keyValue: key},
		legacytest.Backup{Name: "shop", Engine: "postgres", Database: "app", Time: time.Now(), Dump: dump})
	keyEnv := []string{legacy.EnvKey + "=" + key}
	out, errOut, code := runBaktainer(t, keyEnv, "restore", a.Path, "--container", dst)
	t.Logf("restore of %s: exit %d\n%s%s", a.Path, code, out, errOut)
	if code != 0 || !strings.Contains(out, "every table holds the rows the dump held") {
		t.Fatalf("restore of a Ruby-era archive: exit %d", code)
	}
	if want, got := pgDatabaseSnapshot(t, dc, src, "app", ""), pgDatabaseSnapshot(t, dc, dst, "app", ""); want != got {
		t.Fatalf("the restored Ruby-era archive differs:\n%s", firstLineDiff(want, got))
	}
	out, errOut, code = runBaktainer(t, keyEnv, "verify", "--restore", a.Path, "--image", rig.PostgresImage)
	t.Logf("verify --restore: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "PASSED") || !strings.Contains(out, "rows of restored.public.people (12000)") {
		t.Fatalf("test-restore of a Ruby-era archive: exit %d", code)
	}
}

// copyArchiveSet copies an archive and its sidecars under a new directory.
func copyArchiveSet(t *testing.T, archive string) string {
	t.Helper()
	dir := t.TempDir()
	base := archive[strings.LastIndex(archive, "/")+1:]
	for _, ext := range []string{"", ".sha256", ".json"} {
		data, err := os.ReadFile(archive + ext)
		if err != nil {
			t.Fatal(err)
		}
		writeFileT(t, dir+"/"+base+ext, data)
	}
	return dir + "/" + base
}

// firstLineDiff shows where two texts part.
func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "before: " + al[i] + "\nafter:  " + bl[i]
		}
	}
	return "(one is longer)"
}
