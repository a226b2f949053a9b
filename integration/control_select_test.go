//go:build integration

package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// ctlSelectSeedPG fills a Postgres source: app (the image's), shop and logs_a,
// and a role only its globals hold.
const ctlSelectSeedPG = `CREATE ROLE reporter LOGIN CONNECTION LIMIT 3;
CREATE DATABASE shop; CREATE DATABASE logs_a;`

// ctlSelectSeedMy fills a MariaDB source: app (the image's), shop, shop_old and
// logs_a, each with a table of its own.
const ctlSelectSeedMy = `CREATE DATABASE shop; CREATE DATABASE shop_old; CREATE DATABASE logs_a;
CREATE TABLE app.people (id INT PRIMARY KEY, name TEXT); INSERT INTO app.people VALUES (1, 'Ünïcødé ✓'), (2, NULL);
CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2)); INSERT INTO shop.orders VALUES (1, 9.99), (2, -0.01);
CREATE TABLE shop_old.orders (id INT PRIMARY KEY); INSERT INTO shop_old.orders VALUES (7);
CREATE TABLE logs_a.line (id INT PRIMARY KEY); INSERT INTO logs_a.line VALUES (3);`

// baktainer.db.include / db.exclude / db.split against real Postgres and
// MariaDB servers: each source yields exactly the archives its labels select
// (a split: one per database, plus the globals for Postgres; otherwise one
// holding just the selected databases), and each archive, restored on its own
// into a fresh container, holds what the source holds.
func TestControlDatabaseSelection(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	pgPass, myPass := "Sel-pg-"+run, "Sel-my-"+run
	source := func(name, engine string, extra map[string]string) map[string]string {
		l := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": engine, "baktainer.name": name, rig.RunLabel: run}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	pgEnv := func(db string) []string { return []string{"POSTGRES_PASSWORD=" + pgPass, "POSTGRES_DB=" + db} }
	myEnv := func(db string) []string { return []string{"MARIADB_ROOT_PASSWORD=" + myPass, "MARIADB_DATABASE=" + db} }
	fresh := map[string]string{rig.RunLabel: run + "-restore"} // not the agent's
	// Every container starts before any is waited for: they initialise together.
	pgSplit := rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-pg-split", Image: rig.PostgresImage, Env: pgEnv("app"),
		Labels: source("sel-pg", "postgres", map[string]string{"baktainer.db.split": "true", "baktainer.db.exclude": "postgres,logs_*"})})
	pgInclude := rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-pg-inc", Image: rig.PostgresImage, Env: pgEnv("app"),
		Labels: source("sel-pg-inc", "postgres", map[string]string{"baktainer.db.include": "app,shop"})})
	mySplit := rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-my-split", Image: rig.MariaDBImage, Env: myEnv("app"),
		Labels: source("sel-my", "mariadb", map[string]string{"baktainer.db.split": "true", "baktainer.db.include": "app,shop*", "baktainer.db.exclude": "shop_old"})})
	myExclude := rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-my-exc", Image: rig.MariaDBImage, Env: myEnv("app"),
		Labels: source("sel-my-exc", "mariadb", map[string]string{"baktainer.db.exclude": "mysql,logs_*,shop_old"})})
	freshPG := map[string]string{}
	for _, part := range []string{"globals", "app", "shop", "inc"} {
		db := map[string]string{"globals": "postgres", "inc": "postgres"}[part]
		if db == "" {
			db = part
		}
		freshPG[part] = rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-pg-to-" + part, Image: rig.PostgresImage, Env: pgEnv(db), Labels: fresh})
	}
	freshMy := map[string]string{}
	for _, part := range []string{"app", "shop", "exc"} {
		db := part
		if part == "exc" {
			db = ""
		}
		freshMy[part] = rig.Start(t, dc, rig.ContainerSpec{Name: "ctl-sel-my-to-" + part, Image: rig.MariaDBImage, Env: myEnv(db), Labels: fresh})
	}
	for _, pg := range []string{pgSplit, pgInclude} {
		rig.WaitFor(t, dc, pg, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
		rig.Psql(t, dc, pg, "postgres", "postgres", ctlSelectSeedPG)
		for _, db := range []string{"app", "shop", "logs_a"} {
			rig.Psql(t, dc, pg, "postgres", db, "CREATE TABLE rows_of_"+db+" (id int PRIMARY KEY, note text);"+
				"INSERT INTO rows_of_"+db+" SELECT g, 'Ünïcødé ' || g FROM generate_series(1, 50) g;")
		}
	}
	for _, my := range []string{mySplit, myExclude} {
		rig.WaitMariaDB(t, dc, my)
		rig.MySQL(t, dc, my, "root", myPass, "", ctlSelectSeedMy)
	}

	ta := startAgent(t, dc, run, map[string]string{"BT_BACKUP_RETRIES": "0"}, nil)
	for _, src := range []string{pgSplit, pgInclude, mySplit, myExclude} {
		if att := ctlRunNow(t, ta, src, 3*time.Minute); att.Outcome != agent.Succeeded {
			t.Fatalf("backup of %s: %+v", src, att)
		}
	}
	archives := ctlArchives(t, ta.dir)
	series := ctlSeries(t, ta.dir)
	wantSeries := []string{"sel-my-exc", "sel-my.app", "sel-my.shop", "sel-pg-inc", "sel-pg.app", "sel-pg.globals", "sel-pg.shop"}
	if !slices.Equal(series, wantSeries) || len(archives) != len(wantSeries) {
		t.Fatalf("archives:\n%s\nwant one under each of %v", strings.Join(archives, "\n"), wantSeries)
	}
	archive := func(name string) string { return ta.dir + "/" + archives[slices.Index(series, name)] }
	restore := func(name, into string) {
		t.Helper()
		out, errOut, code := runBaktainer(t, nil, "restore", archive(name), "--container", into)
		if code != 0 {
			t.Fatalf("restore %s into %s: exit %d\n%s%s", name, into, code, out, errOut)
		}
	}

	t.Run("postgres", func(t *testing.T) {
		for _, c := range freshPG {
			rig.WaitFor(t, dc, c, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
		}
		restore("sel-pg.globals", freshPG["globals"])
		roles := `SELECT rolname, rolcanlogin, rolconnlimit, rolpassword FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 1`
		if want, got := rig.Psql(t, dc, pgSplit, "postgres", "postgres", roles), rig.Psql(t, dc, freshPG["globals"], "postgres", "postgres", roles); got != want || !strings.Contains(got, "reporter") {
			t.Errorf("the roles restored from the globals:\n%s\nwant:\n%s", got, want)
		}
		for _, db := range []string{"app", "shop"} {
			restore("sel-pg."+db, freshPG[db])
			if want, got := pgDatabaseSnapshot(t, dc, pgSplit, db, pgPass), pgDatabaseSnapshot(t, dc, freshPG[db], db, pgPass); got != want || !strings.Contains(want, "rows_of_"+db) {
				t.Errorf("database %s restored from its own archive differs:\n%s", db, firstLineDiff(want, got))
			}
		}
		restore("sel-pg-inc", freshPG["inc"])
		databases := `SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1`
		if got := rig.Psql(t, dc, freshPG["inc"], "postgres", "postgres", databases); got != "app\npostgres\nshop\n" {
			t.Errorf("databases after restoring the dump of app,shop: %q", got)
		}
		for _, db := range []string{"app", "shop"} {
			if want, got := pgDatabaseSnapshot(t, dc, pgInclude, db, pgPass), pgDatabaseSnapshot(t, dc, freshPG["inc"], db, pgPass); got != want || !strings.Contains(want, "rows_of_"+db) {
				t.Errorf("database %s restored from the selection differs:\n%s", db, firstLineDiff(want, got))
			}
		}
	})

	t.Run("mariadb", func(t *testing.T) {
		for _, c := range freshMy {
			rig.WaitMariaDB(t, dc, c)
		}
		for _, db := range []string{"app", "shop"} {
			restore("sel-my."+db, freshMy[db])
			ctlSameMySQL(t, dc, mySplit, freshMy[db], myPass, db)
		}
		restore("sel-my-exc", freshMy["exc"])
		databases := "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('information_schema','performance_schema','sys','mysql') ORDER BY 1"
		if got := rig.MySQL(t, dc, freshMy["exc"], "root", myPass, "", databases); got != "app\nshop\n" {
			t.Errorf("databases after restoring the dump without mysql,logs_*,shop_old: %q", got)
		}
		for _, db := range []string{"app", "shop"} {
			ctlSameMySQL(t, dc, myExclude, freshMy["exc"], myPass, db)
		}
	})
}

// ctlSameMySQL fails the test unless database db holds the same in both
// containers.
func ctlSameMySQL(t *testing.T, dc *docker.Client, src, dst, password, db string) {
	t.Helper()
	if want, got := mysqlSnapshot(t, dc, src, password, db), mysqlSnapshot(t, dc, dst, password, db); got != want || !strings.Contains(want, "==") {
		t.Errorf("database %s restored into %s differs:\n%s", db, dst, firstLineDiff(want, got))
	}
}
