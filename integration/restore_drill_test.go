//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// wantRows fails the test unless the report checked table's rows and found rows.
func wantRows(t *testing.T, rep *drill.Report, table string, rows int64) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == "rows of "+table && c.Err == nil && c.Detail == fmt.Sprint(rows) {
			return
		}
	}
	t.Errorf("no passed check of %d rows of %s: %+v", rows, table, rep.Checks)
}

// wantCounted fails the test unless the archive's metadata records the counts and image.
func wantCounted(t *testing.T, meta store.Meta, image string) {
	t.Helper()
	if meta.Image == nil || meta.Image.Name != image || !strings.HasPrefix(meta.Image.ID, "sha256:") {
		t.Errorf("metadata image %+v, want %s and its ID", meta.Image, image)
	}
	if meta.Contents == nil || len(meta.Contents.Databases) == 0 {
		t.Fatalf("metadata records no counts: %+v", meta)
	}
	t.Logf("recorded: %s, %+v", meta.Contents.Tool, meta.Contents.Databases)
}

// TestRestoreDrillPostgres test-restores a real pg_dump backup into a scratch
// container, then two archives whose checksums and sidecars are consistent but
// whose content is wrong: one table's rows cut, and a syntax error.
func TestRestoreDrillPostgres(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("drill-pg")
	spec, _ := engExample(t, engines.Postgres{}, rig.PostgresImage, secret, []string{pgScram}, nil)
	src := rig.Start(t, dc, spec)
	rig.WaitFor(t, dc, src, 120e9, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Psql(t, dc, src, "postgres", "app", seedSQL+pgBulkSQL+`
CREATE ROLE app_owner; ALTER TABLE bulk OWNER TO app_owner; CREATE SCHEMA audit; CREATE TABLE audit."Log ""1""" (x int);
INSERT INTO audit."Log ""1""" VALUES (1), (2);`, "PGPASSWORD="+secret)
	dir := t.TempDir()
	res := backup(t, dc, src, dir)
	wantCounted(t, res.Meta, rig.PostgresImage)

	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil || !rep.Passed() {
		t.Fatalf("test-restore of a good backup: %v", err)
	}
	wantRows(t, rep, "app.public.bulk", 45000)
	wantRows(t, rep, "app.public.people", 12000)
	wantRows(t, rep, `app.audit.Log "1"`, 2)

	dump := unpack(t, res.Path)
	t.Run("rows cut", func(t *testing.T) {
		start := bytes.Index(dump, []byte("COPY public.bulk "))
		lines := bytes.SplitAfterN(dump[start:], []byte("\n"), 1002)
		cut := append(append([]byte{}, dump[:start]...), lines[0]...)
		cut = append(cut, lines[1001]...) // 1000 rows of bulk gone
		archive := repack(t, t.TempDir(), res.Meta, "sql", cut)
		// What checked archives before test-restores calls it good: the checksum
		// matches, the dump reads back and is complete.
		if out, errOut, code := runBaktainer(t, nil, "verify", "--deep", archive); code != 0 {
			t.Fatalf("verify --deep of the cut archive: exit %d\n%s%s", code, out, errOut)
		}
		rep, err := restoreDrill(t, dc, archive, drill.Options{})
		wantFailedCheck(t, rep, err, "rows of app.public.bulk")
		wantFailedCheck(t, rep, err, "dump matches the counts recorded at backup")
		if !strings.Contains(err.Error(), "45000") || !strings.Contains(err.Error(), "44000") {
			t.Errorf("the error does not say 45000 and 44000: %v", err)
		}
	})
	t.Run("syntax error", func(t *testing.T) {
		at := bytes.Index(dump, []byte("CREATE TABLE public.people"))
		bad := append(append(append([]byte{}, dump[:at]...), "SELEKT 1 FROM nowhere;\n"...), dump[at:]...)
		archive := repack(t, t.TempDir(), res.Meta, "sql", bad)
		rep, err := restoreDrill(t, dc, archive, drill.Options{})
		wantFailedCheck(t, rep, err, "restore")
		if !strings.Contains(err.Error(), "syntax error") {
			t.Errorf("the error does not quote psql's syntax error: %v", err)
		}
	})
}

// TestRestoreDrillPostgresAll test-restores a pg_dumpall backup: two databases and roles.
func TestRestoreDrillPostgresAll(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	spec, _ := engExample(t, engines.Postgres{}, rig.PostgresImage, engPassword("drill-pgall"), nil,
		map[string]string{labels.All: "true", labels.Database: ""})
	src := rig.Start(t, dc, spec)
	rig.WaitFor(t, dc, src, 120e9, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Psql(t, dc, src, "postgres", "app", seedSQL+`CREATE ROLE reporter LOGIN PASSWORD 'r-pw'; GRANT SELECT ON people TO reporter;`)
	rig.Psql(t, dc, src, "postgres", "postgres", "CREATE DATABASE other OWNER reporter;")
	rig.Psql(t, dc, src, "reporter", "other", `CREATE TABLE notes (id int); INSERT INTO notes SELECT generate_series(1, 77);`)
	res := backup(t, dc, src, t.TempDir())
	wantCounted(t, res.Meta, rig.PostgresImage)
	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil {
		t.Fatalf("test-restore of a pg_dumpall backup: %v", err)
	}
	wantRows(t, rep, "other.public.notes", 77)
	wantRows(t, rep, "app.public.people", 12000)
}

// TestRestoreDrillMariaDB test-restores a one-database mariadb-dump backup, then
// the same dump with one table's rows cut.
func TestRestoreDrillMariaDB(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("drill-maria")
	spec, _ := engExample(t, engines.MariaDB{}, rig.MariaDBImage, secret, nil, nil)
	src := rig.Start(t, dc, spec)
	rig.WaitMariaDB(t, dc, src)
	rig.MySQL(t, dc, src, "root", secret, "app", mysqlSeedSQL)
	res := backup(t, dc, src, t.TempDir())
	wantCounted(t, res.Meta, rig.MariaDBImage)
	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil {
		t.Fatalf("test-restore of a mariadb-dump backup: %v", err)
	}
	wantRows(t, rep, "app.bulk", 50000)
	wantRows(t, rep, "app.Mixed Case", 2)

	dump := unpack(t, res.Path)
	t.Run("rows cut", func(t *testing.T) {
		// mariadb-dump writes one row a line: drop one line of digits' INSERT.
		cut := bytes.Replace(dump, []byte("(3),\n"), nil, 1)
		if bytes.Equal(cut, dump) {
			t.Fatalf("the dump has no line %q to cut", "(3),")
		}
		archive := repack(t, t.TempDir(), res.Meta, "sql", cut)
		rep, err := restoreDrill(t, dc, archive, drill.Options{})
		wantFailedCheck(t, rep, err, "rows of app.digits")
	})
}

// TestRestoreDrillMySQLClientAll test-restores a dump of every database, accounts
// included, made with the MySQL-named tools.
func TestRestoreDrillMySQLClientAll(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("drill-mysql")
	spec, _ := engExample(t, engines.MySQL{}, rig.MySQLImage, secret, nil, map[string]string{labels.All: "true", labels.Database: ""})
	src := rig.Start(t, dc, spec)
	rig.WaitMariaDB(t, dc, src)
	rig.MySQL(t, dc, src, "root", secret, "app", mysqlSeedSQL)
	rig.MySQL(t, dc, src, "root", secret, "", `CREATE DATABASE other; CREATE TABLE other.notes (id INT); INSERT INTO other.notes VALUES (1),(2),(3);`)
	res := backup(t, dc, src, t.TempDir())
	wantCounted(t, res.Meta, rig.MySQLImage)
	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil {
		t.Fatalf("test-restore of a mysqldump --all-databases backup: %v", err)
	}
	wantRows(t, rep, "other.notes", 3)
	wantRows(t, rep, "app.bulk", 50000)
}

// TestRestoreDrillSQLite test-restores an SQLite snapshot: counts and integrity_check.
func TestRestoreDrillSQLite(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	spec, _ := engExample(t, engines.SQLite{}, rig.SQLiteImage, "", nil, nil)
	src := rig.Start(t, dc, spec)
	rig.Exec(t, dc, src, nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, src, sqliteDB, sqliteSeedSQL)
	res := backup(t, dc, src, t.TempDir())
	wantCounted(t, res.Meta, rig.SQLiteImage)
	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil {
		t.Fatalf("test-restore of an SQLite snapshot: %v", err)
	}
	wantRows(t, rep, sqliteDB+".bulk", 25000)
	wantRows(t, rep, sqliteDB+".Mixed Case", 2)
	for _, c := range rep.Checks {
		if c.Name == "sqlite PRAGMA integrity_check" && c.Err == nil {
			return
		}
	}
	t.Error("no passed integrity_check")
}

// TestRestoreDrillRedis test-restores an RDB of two databases: key counts, and
// DEBUG DIGEST across DEBUG RELOAD.
func TestRestoreDrillRedis(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("drill-redis")
	spec, _ := engExample(t, engines.Redis{}, rig.RedisImage, "", []string{"REDIS_PASSWORD=" + secret}, nil)
	src := rig.Start(t, dc, spec)
	rig.WaitRedis(t, dc, src)
	rig.RedisCLI(t, dc, src, secret, nil, "EVAL", redisSeedScript, "0", "300", "db0")
	rig.RedisCLI(t, dc, src, secret, nil, "-n", "3", "EVAL", redisSeedScript, "0", "10", "db3")
	res := backup(t, dc, src, t.TempDir())
	wantCounted(t, res.Meta, rig.RedisImage)
	rep, err := restoreDrill(t, dc, res.Path, drill.Options{})
	if err != nil {
		t.Fatalf("test-restore of an RDB: %v", err)
	}
	var keys, digest bool
	for _, c := range rep.Checks {
		keys = keys || (c.Name == "keys of database 0" && c.Err == nil && c.Detail == "308")
		digest = digest || (strings.HasPrefix(c.Name, "redis DEBUG DIGEST") && c.Err == nil && !c.Skipped)
	}
	if !keys || !digest {
		t.Errorf("want 308 keys in database 0 and a digest that survives a reload: %+v", rep.Checks)
	}
}
