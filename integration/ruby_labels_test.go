//go:build integration

package integration

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// rubyComposeEnv is the environment of the Ruby Baktainer's README compose, list
// syntax and all: BT_CRON keeps its quotes.
var rubyComposeEnv = []string{`BT_CRON="0 0 * * *"`, "BT_DOCKER_URL=unix:///var/run/docker.sock", "BT_THREADS=4", "BT_LOG_LEVEL=info"}

// rubyCase is one engine, labelled as the Ruby tool's README and label schema show.
type rubyCase struct {
	name     string
	image    string
	env      []string
	labels   map[string]string // the Ruby tool's labels
	wantName string            // the backup name baktainer files them under
	warned   []string          // in `labels check`'s output
	seed     func(t *testing.T, dc *docker.Client, c string)
	snapshot func(t *testing.T, dc *docker.Client, c string) string
}

func rubyCases() []rubyCase {
	pgEnv := []string{"POSTGRES_DB=database", "POSTGRES_USER=user", "POSTGRES_PASSWORD=StrongPassword"}
	pgSeed := func(t *testing.T, dc *docker.Client, c string) {
		rig.Psql(t, dc, c, "user", "database", seedSQL+pgBulkSQL)
	}
	pgSnap := func(db string) func(t *testing.T, dc *docker.Client, c string) string {
		return func(t *testing.T, dc *docker.Client, c string) string {
			return pgDatabaseSnapshot(t, dc, c, db, "StrongPassword")
		}
	}
	mySeed := func(t *testing.T, dc *docker.Client, c string) {
		rig.WaitMariaDB(t, dc, c)
		rig.MySQL(t, dc, c, "root", "StrongPassword", "app", legacyMySQLSeed)
	}
	mySnap := func(t *testing.T, dc *docker.Client, c string) string {
		return mysqlSnapshot(t, dc, c, "StrongPassword", "app")
	}
	myLabels := func(engine string) map[string]string {
		return map[string]string{"baktainer.backup": "true", "baktainer.db.engine": engine, "baktainer.db.name": "app",
			"baktainer.db.user": "root", "baktainer.db.password": "StrongPassword", "baktainer.name": `"Shop"`,
			"baktainer.backup.compress": "true", "baktainer.backup.retention.count": "1", "baktainer.backup.priority": "critical"}
	}
	return []rubyCase{
		{name: "Postgres", image: rig.PostgresImage, env: pgEnv,
			// The README's example, then its label schema's generate_example_labels.
			labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.name": "database",
				"baktainer.db.user": "user", "baktainer.db.password": "StrongPassword", "baktainer.name": `"MyApp"`,
				"baktainer.backup.compress": "true", "baktainer.backup.retention.days": "14", "baktainer.backup.priority": "high"},
			wantName: "MyApp", warned: []string{"baktainer.name: its value is in one pair of quotes", "baktainer.backup.priority: baktainer has no backup priorities"},
			seed: pgSeed, snapshot: pgSnap("database")},
		{name: "PostgresAll", image: rig.PostgresImage, env: pgEnv,
			// db.all with the db.name the Ruby schema required: pg_dumpall connects to it.
			labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgresql", "baktainer.db.all": "true",
				"baktainer.db.name": "database", "baktainer.db.user": "user", "baktainer.db.password": "StrongPassword", "baktainer.name": "cluster"},
			wantName: "cluster", seed: pgSeed, snapshot: pgSnap("database")},
		{name: "MariaDB", image: rig.MariaDBImage, env: []string{"MARIADB_ROOT_PASSWORD=StrongPassword", "MARIADB_DATABASE=app"},
			labels: myLabels("mariadb"), wantName: "Shop", warned: []string{"baktainer.backup.priority"}, seed: mySeed, snapshot: mySnap},
		{name: "MySQLClient", image: rig.MySQLImage, env: []string{"MYSQL_ROOT_PASSWORD=StrongPassword", "MYSQL_DATABASE=app"},
			labels: myLabels("mysql"), wantName: "Shop", warned: []string{"baktainer.backup.priority"}, seed: mySeed, snapshot: mySnap},
		{name: "SQLite", image: rig.SQLiteImage,
			// The schema's example for sqlite, with the user and password its README
			// showed for every engine (the schema said: not needed for SQLite).
			labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "sqlite", "baktainer.db.name": sqliteDB,
				"baktainer.db.user": "user", "baktainer.db.password": "StrongPassword", "baktainer.name": "'Notes'",
				"baktainer.backup.compress": "false", "baktainer.backup.encrypt": "true"},
			wantName: "Notes", warned: []string{"baktainer.db.user: sqlite databases have no users", "baktainer.backup.encrypt: baktainer does not encrypt per container"},
			seed: func(t *testing.T, dc *docker.Client, c string) {
				rig.Exec(t, dc, c, nil, nil, "chown", rig.SQLiteUser, "/data")
				rig.SQLite(t, dc, c, sqliteDB, sqliteSeedSQL)
			},
			snapshot: func(t *testing.T, dc *docker.Client, c string) string { return sqliteSnapshot(t, dc, c) }},
	}
}

// #13: containers labelled exactly as the Ruby Baktainer's README and label schema
// show are accepted by `labels check` (exit 0, with warnings that say what
// baktainer does instead), planned under the name the labels give (quotes off),
// backed up by `baktainer backup` with the Ruby README's compose environment
// (BT_CRON in quotes), pruned by their schema's retention label, and restored into
// a fresh container: the same data comes back. Postgres, MariaDB, the MySQL
// client's names, SQLite, and a whole Postgres cluster through the database the
// schema's required db.name names.
func TestRubyLabelledContainers(t *testing.T) {
	t.Parallel()
	for _, tc := range rubyCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rubyRoundTrip(t, tc)
		})
	}
}

func rubyRoundTrip(t *testing.T, tc rubyCase) {
	dc := rig.Docker(t)
	run := rig.RunID()
	set := maps.Clone(tc.labels)
	set[rig.RunLabel] = run
	src := rig.Start(t, dc, rig.ContainerSpec{Name: "ruby-src", Image: tc.image, Env: tc.env, Labels: set})
	restoreLabels := maps.Clone(tc.labels)
	delete(restoreLabels, "baktainer.backup") // not a target of its own
	fresh := rig.Start(t, dc, rig.ContainerSpec{Name: "ruby-fresh", Image: tc.image, Env: tc.env, Labels: restoreLabels})
	if strings.HasPrefix(tc.name, "Postgres") {
		for _, c := range []string{src, fresh} {
			rig.WaitFor(t, dc, c, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
			rig.Psql(t, dc, c, "user", "database", "CREATE ROLE postgres SUPERUSER LOGIN") // for the snapshots
		}
	}
	tc.seed(t, dc, src)
	if tc.name == "SQLite" {
		rig.Exec(t, dc, fresh, nil, nil, "chown", rig.SQLiteUser, "/data")
		rig.SQLite(t, dc, fresh, sqliteDB, "CREATE TABLE stale (x); INSERT INTO stale VALUES (1);")
	} else if tc.name != "Postgres" && tc.name != "PostgresAll" {
		rig.WaitMariaDB(t, dc, fresh)
	}
	want := tc.snapshot(t, dc, src)

	out, errOut, code := runBaktainer(t, rubyComposeEnv, "labels", "check", src)
	if code != 0 || !strings.Contains(out, src+": ok") {
		t.Fatalf("labels check: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range tc.warned {
		if !strings.Contains(out, "  - warning: label "+w) {
			t.Errorf("labels check does not warn %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "StrongPassword") {
		t.Errorf("labels check shows the password label's value:\n%s", out)
	}
	dir := t.TempDir()
	env := append([]string{"BT_BACKUP_DIR=" + dir, "BT_SELECTOR=" + rig.RunLabel + "=" + run}, rubyComposeEnv...)
	out, errOut, code = runBaktainer(t, env, "plan")
	if code != 0 || !strings.Contains(out, tc.wantName+" ") || !strings.Contains(out, filepath.Join(dir, tc.wantName)) {
		t.Fatalf("plan does not show the name %s: exit %d\n%s%s", tc.wantName, code, out, errOut)
	}
	if quoted := tc.labels["baktainer.name"]; quoted != tc.wantName && !strings.Contains(out, "archives go under "+tc.wantName) {
		t.Errorf("plan does not say baktainer.name=%s is read as %s:\n%s", quoted, tc.wantName, out)
	}

	var archive string
	for range 2 { // twice: the schema's retention.count=1 keeps one
		out, errOut, code = runBaktainer(t, env, "backup", src)
		archive = strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(archive, filepath.Join(dir, tc.wantName)+"/") {
			t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
		}
		time.Sleep(1100 * time.Millisecond) // a new second: a new archive name
	}
	kept := rig.ListFiles(t, filepath.Join(dir, tc.wantName))
	t.Logf("%s: %v", tc.name, kept)
	if tc.labels["baktainer.backup.retention.count"] == "1" && len(kept) != 3 { // the archive and its two sidecars
		t.Errorf("baktainer.backup.retention.count=1 kept %v", kept)
	}
	if wantZstd := tc.labels["baktainer.backup.compress"] != "false"; wantZstd != strings.HasSuffix(archive, ".zst") {
		t.Errorf("baktainer.backup.compress=%s gave %s", tc.labels["baktainer.backup.compress"], archive)
	}

	restore := []string{"restore", archive, "--container", fresh}
	if tc.name == "SQLite" {
		restore = append(restore, "--force") // over the stale table, to show it is replaced
	}
	out, errOut, code = runBaktainer(t, nil, restore...)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if got := tc.snapshot(t, dc, fresh); got != want {
		t.Fatalf("restored data differs from the source:\n%s", legacyDiff(want, got))
	}
	if tc.name == "SQLite" {
		if n := strings.TrimSpace(rig.SQLite(t, dc, fresh, sqliteDB, "SELECT count(*) FROM sqlite_schema WHERE name = 'stale'")); n != "0" {
			t.Errorf("the fresh container's older table survived the restore")
		}
	}
}

// #13: the agent binary, run with the Ruby README's compose environment, backs up
// a container labelled as the Ruby README shows (asked through its API, as the
// README's BT_CRON would only fire at midnight), under the name its quoted
// baktainer.name gives.
func TestRubyLabelledContainerByTheAgent(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	run := rig.RunID()
	tc := rubyCases()[0]
	set := maps.Clone(tc.labels)
	set[rig.RunLabel] = run
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ruby-agent", Env: tc.env, Labels: set})
	rig.Psql(t, dc, src, "user", "database", seedSQL)
	dir := t.TempDir()
	port := freePort(t)
	env := append([]string{"BT_BACKUP_DIR=" + dir, "BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_HEALTH_PORT=" + port}, rubyComposeEnv...)
	p := startAgentProcess(t, env, port)
	out, errOut, code := runBaktainer(t, nil, "backup", src, "--via", p.url)
	if code != 0 {
		t.Fatalf("backup --via the agent: exit %d\n%s%s\nagent log:\n%s", code, out, errOut, p.logs.String())
	}
	files := rig.ListFiles(t, filepath.Join(dir, "MyApp"))
	if len(files) != 3 {
		t.Fatalf("the agent wrote %v under MyApp; log:\n%s", files, p.logs.String())
	}
	logs := p.logs.String()
	for _, want := range []string{"BT_CRON: its value is in one pair of quotes", "label baktainer.name: its value is in one pair of quotes"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the agent's log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "StrongPassword") {
		t.Errorf("the agent logged the password label's value")
	}
	if _, err := os.Stat(filepath.Join(dir, `"MyApp"`)); !os.IsNotExist(err) {
		t.Errorf("a directory named with the quotes: %v", err)
	}
}
