//go:build integration

package integration

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

const sqliteDB = "/data/app.db"

// sqliteSeedSQL: a WAL-mode database, as applications that write concurrently
// configure it, with awkward values, a view, a trigger, an index, enough rows to
// make the file several MiB, and a counter/log pair that every write changes
// together (a torn snapshot would break their agreement).
const sqliteSeedSQL = `
PRAGMA journal_mode = WAL;
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, score REAL);
INSERT INTO people (name, note, score) VALUES ('Ünïcødé ✓ 東京 🪶', NULL, 1.5), ('quote''s', 'new
line', -0.25), ('', '', 0);
CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);
INSERT INTO blobs VALUES (1, x'00ff00fe0a0d'), (2, zeroblob(10)), (3, NULL);
CREATE TABLE "Mixed Case" ("quoted col" TEXT);
INSERT INTO "Mixed Case" VALUES ('a'), (NULL);
CREATE TABLE bulk (id INTEGER PRIMARY KEY, payload TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000)
INSERT INTO bulk SELECT x, hex(randomblob(64)) FROM c;
CREATE INDEX bulk_payload ON bulk (payload);
CREATE VIEW bulk_small AS SELECT id FROM bulk WHERE id < 10;
CREATE TRIGGER people_note AFTER INSERT ON people BEGIN
  UPDATE people SET note = coalesce(note, 'trigger') WHERE id = new.id;
END;
CREATE TABLE counter (n INTEGER NOT NULL);
INSERT INTO counter VALUES (0);
CREATE TABLE log (id INTEGER PRIMARY KEY, v BLOB NOT NULL);
`

// sqliteWrite is one transaction of the concurrent writer.
const sqliteWrite = "BEGIN IMMEDIATE; INSERT INTO log (v) VALUES (randomblob(200)); UPDATE counter SET n = n + 1; COMMIT;\n"

// TestEngineSQLite runs the engine suite on an application container with its
// database in WAL mode, owned by an unprivileged user, written to all through the
// backup; the restore replaces an older database at the same path.
func TestEngineSQLite(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.SQLite{}
	var before, after int // the counter when the writer was seen writing, and when it stopped
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:   eng,
		DumpTool: "cat",
		Start: func(t *testing.T, role enginetest.Role) enginetest.Container {
			spec, set := engExample(t, eng, rig.SQLiteImage, "", nil, nil)
			name := rig.Start(t, dc, spec)
			rig.Exec(t, dc, name, nil, nil, "chown", rig.SQLiteUser, "/data")
			if role == enginetest.Fresh { // an older database, to be replaced
				rig.SQLite(t, dc, name, sqliteDB, "PRAGMA journal_mode = WAL; CREATE TABLE stale (x); INSERT INTO stale VALUES (1);")
			}
			return enginetest.Container{Name: name, Labels: set}
		},
		Ready: func(*testing.T, enginetest.Container) {},
		Seed: func(t *testing.T, c enginetest.Container) {
			rig.SQLite(t, dc, c.Name, sqliteDB, sqliteSeedSQL)
		},
		Snapshot: func(t *testing.T, c enginetest.Container) string { return sqliteSnapshot(t, dc, c.Name) },
		WriteDuringBackup: func(t *testing.T, c enginetest.Container) func() {
			stop := sqliteWriter(t, dc, c.Name)
			before = sqliteInt(t, dc, c.Name, "SELECT n FROM counter")
			return func() {
				stop()
				after = sqliteInt(t, dc, c.Name, "SELECT n FROM counter")
			}
		},
		Compare: func(t *testing.T, src, restored enginetest.Container) {
			if want, got := sqliteSnapshot(t, dc, src.Name), sqliteSnapshot(t, dc, restored.Name); want != got {
				t.Fatalf("restored tables differ from the source:\nsource:\n%.2000s\nrestored:\n%.2000s", want, got)
			}
			q := func(sql string) string { return strings.TrimSpace(rig.SQLite(t, dc, restored.Name, sqliteDB, sql)) }
			if v := q("PRAGMA integrity_check"); v != "ok" {
				t.Fatalf("integrity_check of the restored database: %s", v)
			}
			n, rows, top := sqliteInt(t, dc, restored.Name, "SELECT n FROM counter"),
				sqliteInt(t, dc, restored.Name, "SELECT count(*) FROM log"), sqliteInt(t, dc, restored.Name, "SELECT max(id) FROM log")
			t.Logf("writes: %d when the backup started, %d in the restored snapshot, %d when the writer stopped", before, n, after)
			if n != rows || rows != top {
				t.Fatalf("torn snapshot: counter %d, %d log rows, last id %d", n, rows, top)
			}
			if !(before < n && n < after) {
				t.Fatalf("the snapshot (%d writes) was not taken while the writer ran (%d before, %d after)", n, before, after)
			}
			if q("SELECT count(*) FROM sqlite_schema WHERE name = 'stale'") != "0" {
				t.Fatal("the older database's table survived the restore")
			}
			for _, c := range []string{src.Name, restored.Name} {
				// No -wal, -shm or journal file may belong to anyone but the database's user.
				if others := rig.Exec(t, dc, c, nil, nil, "find", "/data", "!", "-user", "65534"); others != "" {
					t.Errorf("%s: files not owned by the database's user: %s", c, others)
				}
				if left := rig.Exec(t, dc, c, nil, nil, "find", "/data", "/tmp", "-name", "*baktainer*"); left != "" {
					t.Errorf("%s: temporary files left behind: %s", c, left)
				}
			}
		},
		BareLabels: map[string]string{labels.Database: sqliteDB},
		Failures: []enginetest.Failure{
			{
				Name:   "wrong database file",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.Database: "/data/nope.db"}),
				Want:   []string{`label baktainer.db.name="/data/nope.db"`, "no database file there", "No such file"},
			},
			{
				Name:   "relative path",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.Database: "app.db"}),
				Want:   []string{`label baktainer.db.name="app.db"`, "absolute path"},
			},
			{
				Name:   "a password label",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.PasswordFile: "/run/secrets/x"}),
				Want:   []string{"label " + labels.PasswordFile, "no users or passwords"},
			},
			{
				Name:   "unknown engine",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.Engine: "oracle"}),
				Want:   []string{`label baktainer.db.engine="oracle"`, "unknown engine"},
			},
		},
	})
}

// sqliteWriter writes to the database from inside the container, one transaction
// after another, until the returned stop is called; it returns once writes flow.
func sqliteWriter(t *testing.T, dc *docker.Client, container string) (stop func()) {
	t.Helper()
	start := sqliteInt(t, dc, container, "SELECT n FROM counter")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := rig.TryExec(dc, container, pr, nil, rig.AsSQLiteUser("sqlite3", "-bail", "-cmd", ".timeout 30000", sqliteDB)...)
		done <- err
	}()
	quit := make(chan struct{})
	go func() {
		defer pw.Close()
		for {
			select {
			case <-quit:
				return
			default:
			}
			if _, err := io.WriteString(pw, sqliteWrite); err != nil {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); sqliteInt(t, dc, container, "SELECT n FROM counter") <= start; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the concurrent writer wrote nothing in 30s")
		}
	}
	return func() {
		close(quit)
		if err := <-done; err != nil {
			t.Errorf("the concurrent writer failed: %v", err)
		}
	}
}

func sqliteInt(t *testing.T, dc *docker.Client, container, sql string) int {
	t.Helper()
	out := strings.TrimSpace(rig.SQLite(t, dc, container, sqliteDB, sql))
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("%s in %s: %q is not a number", sql, container, out)
	}
	return n
}

// sqliteSnapshot returns the schema and every table but the writer's, quoted as SQL
// literals (blobs as X'..').
func sqliteSnapshot(t *testing.T, dc *docker.Client, container string) string {
	t.Helper()
	var sql strings.Builder
	sql.WriteString(".mode quote\nSELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name <> 'stale' ORDER BY name;\n")
	for _, table := range []string{"people", "blobs", `"Mixed Case"`, "bulk"} {
		fmt.Fprintf(&sql, "SELECT '== %s';\nSELECT * FROM %s ORDER BY 1;\n", strings.ReplaceAll(table, `"`, ""), table)
	}
	return rig.SQLite(t, dc, container, sqliteDB, sql.String())
}
