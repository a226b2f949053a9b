//go:build integration

package integration

import (
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// mysqlSeedSQL covers what a dump must carry: 4-byte UTF-8, NULLs, binary data,
// awkward identifiers, a view, a routine, a trigger, an event, and enough rows to
// make the dump several MiB.
const mysqlSeedSQL = `
CREATE TABLE people (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) CHARACTER SET utf8mb4 NOT NULL,
  note TEXT CHARACTER SET utf8mb4, born DATE, score DECIMAL(10,2), seen DATETIME(6));
INSERT INTO people (name, note, born, score, seen) VALUES
  ('Ünïcødé ✓ 東京 🐬', 'emoji 🎉 and tab	here', '2000-01-02', 12.50, '2024-02-29 12:34:56.789012'),
  ('quote''s "double" \\back', NULL, NULL, NULL, NULL),
  ('new
line', '', '1970-01-01', -0.01, '1999-12-31 23:59:59');
CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB, nothing VARCHAR(10));
INSERT INTO blobs VALUES (1, UNHEX('00FF00FE0A0D5C27'), NULL), (2, '', 'x'), (3, NULL, NULL);
CREATE TABLE ` + "`Mixed Case`" + ` (id INT PRIMARY KEY, ` + "`quoted col`" + ` TEXT);
INSERT INTO ` + "`Mixed Case`" + ` VALUES (1, 'a'), (2, NULL);
CREATE TABLE digits (d INT PRIMARY KEY);
INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
CREATE TABLE bulk (id INT PRIMARY KEY, payload VARCHAR(200));
INSERT INTO bulk SELECT a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d,
    CONCAT(MD5(a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d), SHA1(a.d * b.d + c.d), MD5(e.d * 31 + d.d * 7 + a.d))
  FROM digits a, digits b, digits c, digits d, (SELECT d FROM digits WHERE d < 5) e;
CREATE VIEW bulk_even AS SELECT id, payload FROM bulk WHERE id % 2 = 0;
CREATE PROCEDURE add_person(IN n VARCHAR(200)) INSERT INTO people (name) VALUES (n);
CREATE TRIGGER people_upper BEFORE INSERT ON people FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'from trigger');
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM blobs WHERE id > 1000;
`

// TestEngineMariaDB runs the engine suite on the MariaDB image (mariadb-dump and
// mariadb), one database, logged in as root with the image's root password.
func TestEngineMariaDB(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.MariaDB{}
	start := func(t *testing.T, role enginetest.Role) enginetest.Container {
		secret := engPassword("maria")
		// An application account too, to try a wrong password on: root may also log
		// in through the unix socket on this image, whatever the password.
		spec, set := engExample(t, eng, rig.MariaDBImage, secret, []string{"MARIADB_USER=app", "MARIADB_PASSWORD=app-" + secret}, nil)
		return enginetest.Container{Name: rig.Start(t, dc, spec), Labels: set, Secret: secret}
	}
	wrongPassword := engPassword("maria-wrong")
	mariaLabels := func(changes map[string]string) map[string]string {
		return engWithLabels(eng.Example().Labels, changes)
	}
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:     eng,
		DumpTool:   "mariadb-dump",
		BareLabels: map[string]string{labels.Database: "app"},
		Start:      start,
		Ready:      mysqlReady(dc),
		Seed: func(t *testing.T, c enginetest.Container) {
			rig.MySQL(t, dc, c.Name, "root", c.Secret, "app", mysqlSeedSQL)
		},
		Snapshot: func(t *testing.T, c enginetest.Container) string {
			return mysqlSnapshot(t, dc, c.Name, c.Secret, "app")
		},
		Failures: []enginetest.Failure{
			{
				Name: "wrong password",
				Prepare: func(t *testing.T, c enginetest.Container) {
					engWriteFile(t, dc, c.Name, "/tmp/wrong_password", wrongPassword)
				},
				Labels:  mariaLabels(map[string]string{labels.User: "app", labels.PasswordFile: "/tmp/wrong_password"}),
				Want:    []string{"Access denied for user 'app'", "label " + labels.PasswordFile, "mariadb-dump"},
				Secrets: []string{wrongPassword},
			},
			{
				Name:   "wrong database",
				Labels: mariaLabels(map[string]string{labels.Database: "nosuchdb"}),
				Want:   []string{"Unknown database 'nosuchdb'", "label " + labels.Database},
			},
		},
	})
}

// TestEngineMySQLClient runs the engine suite on the image whose client tools answer
// only to the MySQL names (mysqldump, mysql) and whose root logs in by password
// only, with baktainer.db.all=true: every database and the accounts come back.
func TestEngineMySQLClient(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.MySQL{}
	start := func(t *testing.T, role enginetest.Role) enginetest.Container {
		secret := engPassword("mysql")
		spec, set := engExample(t, eng, rig.MySQLImage, secret, nil, map[string]string{labels.All: "true", labels.Database: ""})
		return enginetest.Container{Name: rig.Start(t, dc, spec), Labels: set, Secret: secret}
	}
	wrongPassword := engPassword("mysql-wrong")
	var sourcePassword string
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:     eng,
		DumpTool:   "mysqldump",
		BareLabels: map[string]string{labels.All: "true"},
		Start:      start,
		Ready:      mysqlReady(dc),
		Seed: func(t *testing.T, c enginetest.Container) {
			sourcePassword = c.Secret
			rig.MySQL(t, dc, c.Name, "root", c.Secret, "app", mysqlSeedSQL)
			rig.MySQL(t, dc, c.Name, "root", c.Secret, "", `CREATE DATABASE other;
CREATE TABLE other.notes (id INT PRIMARY KEY, body TEXT);
INSERT INTO other.notes VALUES (1, 'in other'), (2, NULL);
CREATE USER reporter@'%' IDENTIFIED BY 'reporter-pw';
GRANT SELECT ON other.* TO reporter@'%';`)
		},
		// A dump of every database carries the accounts: the restored server lets in
		// the source's root password (and no longer the fresh container's own).
		Compare: func(t *testing.T, src, restored enginetest.Container) {
			for _, db := range []string{"app", "other"} {
				want := mysqlSnapshot(t, dc, src.Name, src.Secret, db)
				got := mysqlSnapshot(t, dc, restored.Name, sourcePassword, db)
				if want != got {
					t.Errorf("database %s differs after the restore:\nsource:\n%.2000s\nrestored:\n%.2000s", db, want, got)
				}
			}
			grants := "SHOW GRANTS FOR reporter@'%'"
			if want, got := rig.MySQL(t, dc, src.Name, "root", src.Secret, "", grants),
				rig.MySQL(t, dc, restored.Name, "root", sourcePassword, "", grants); want != got {
				t.Errorf("reporter's grants differ: %q, restored %q", want, got)
			}
			rig.MySQL(t, dc, restored.Name, "reporter", "reporter-pw", "other", "SELECT count(*) FROM notes")
		},
		Failures: []enginetest.Failure{
			{
				Name: "wrong password",
				Prepare: func(t *testing.T, c enginetest.Container) {
					engWriteFile(t, dc, c.Name, "/tmp/wrong_password", wrongPassword)
				},
				Labels: engWithLabels(eng.Example().Labels, map[string]string{
					labels.Database: "", labels.All: "true", labels.PasswordFile: "/tmp/wrong_password"}),
				Want:    []string{"Access denied for user 'root'@'localhost'", "label " + labels.PasswordFile, "mysqldump"},
				Secrets: []string{wrongPassword},
			},
		},
	})
}

func mysqlReady(dc *docker.Client) func(*testing.T, enginetest.Container) {
	return func(t *testing.T, c enginetest.Container) { rig.WaitMariaDB(t, dc, c.Name) }
}

// mysqlSnapshot returns every table of db, ordered, with its routines, triggers,
// events and views.
func mysqlSnapshot(t *testing.T, dc *docker.Client, container, password, db string) string {
	t.Helper()
	q := func(sql string) string { return rig.MySQL(t, dc, container, "root", password, db, sql) }
	var b strings.Builder
	b.WriteString(q(`SELECT ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1;
SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1;
SELECT EVENT_NAME, EVENT_DEFINITION, INTERVAL_VALUE, STARTS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1;
SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1;`))
	tables := q(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`)
	for _, table := range strings.Split(strings.TrimSpace(tables), "\n") {
		b.WriteString("== " + table + "\n")
		b.WriteString(q("SELECT * FROM `" + table + "` ORDER BY 1"))
	}
	return b.String()
}
