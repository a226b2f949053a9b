//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
)

// legacyMySQLSeed is what a plain `mysqldump -u U -pP DB` (the Ruby tool's command:
// no --routines, no --events) carries: 4-byte UTF-8, NULLs, binary data, awkward
// identifiers, a view and a trigger, and enough rows to pass a MiB.
const legacyMySQLSeed = `
CREATE TABLE people (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) CHARACTER SET utf8mb4 NOT NULL, note TEXT CHARACTER SET utf8mb4);
INSERT INTO people (name, note) VALUES ('Ünïcødé ✓ 東京 🐬', 'tab	here'), ('quote''s "double" \\back', NULL), ('new
line', '');
CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB);
INSERT INTO blobs VALUES (1, UNHEX('00FF00FE0A0D5C27')), (2, ''), (3, NULL);
CREATE TABLE ` + "`Mixed Case`" + ` (id INT PRIMARY KEY, ` + "`quoted col`" + ` TEXT);
INSERT INTO ` + "`Mixed Case`" + ` VALUES (1, 'a'), (2, NULL);
CREATE TABLE digits (d INT PRIMARY KEY);
INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
CREATE TABLE bulk (id INT PRIMARY KEY, payload VARCHAR(100));
INSERT INTO bulk SELECT a.d + 10*b.d + 100*c.d + 1000*d.d, CONCAT(MD5(a.d + 10*b.d + 100*c.d + 1000*d.d), SHA1(a.d * b.d + c.d))
  FROM digits a, digits b, digits c, digits d;
CREATE VIEW bulk_even AS SELECT id, payload FROM bulk WHERE id % 2 = 0;
CREATE TRIGGER people_note BEFORE INSERT ON people FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'from trigger');
`

// TestLegacyMySQL does for MariaDB and for the MySQL client's names what
// TestLegacyPostgres does for Postgres: the Ruby tool's mysqldump command, written
// the Ruby way with a base64 key and with a key string it derived a key from, and
// by the first release (no .meta), verified and restored into a fresh container.
func TestLegacyMySQL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		image string
		env   []string
		eng   engines.Engine
	}{
		{"MariaDB", rig.MariaDBImage, []string{"MARIADB_ROOT_PASSWORD=StrongPassword", "MARIADB_DATABASE=app"}, engines.MariaDB{}},
		{"MySQLClient", rig.MySQLImage, []string{"MYSQL_ROOT_PASSWORD=StrongPassword", "MYSQL_DATABASE=app"}, engines.MySQL{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dc := rig.Docker(t)
			rubyLabels := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": tc.eng.Name(), "baktainer.db.name": "app",
				"baktainer.db.user": "root", "baktainer.db.password": "StrongPassword", "baktainer.name": "shop"}
			src := rig.Start(t, dc, rig.ContainerSpec{Name: "legacy-my-src", Image: tc.image, Env: tc.env, Labels: engRunLabels(rubyLabels)})
			fresh := rig.Start(t, dc, rig.ContainerSpec{Name: "legacy-my-fresh", Image: tc.image, Env: tc.env, Labels: engRunLabels(nil)})
			rig.WaitMariaDB(t, dc, src)
			rig.MySQL(t, dc, src, "root", "StrongPassword", "app", legacyMySQLSeed)
			want := mysqlSnapshot(t, dc, src, "StrongPassword", "app")
			// MySQLBackupStrategy: mysqldump -u LOGIN -pPASSWORD DATABASE.
			dump := legacyRubyDump(t, dc, src, nil, "mysqldump", "-u", "root", "-pStrongPassword", "app")

			dir := t.TempDir()
			variants := []legacyVariant{
				{name: "base64 key", keyVar: legacy.EnvKey, keyValue: "base64:c2hvcC1rZXktMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg="},
				{name: "derived key", keyVar: legacy.EnvKey, keyValue: "not a hex or base64 key, so PBKDF2"},
				{name: "first release", settings: legacytest.Settings{Generation: legacytest.FirstRelease}},
			}
			rig.WaitMariaDB(t, dc, fresh)
			dumps := map[string][]byte{}
			var allKeys []legacy.Key
			for i, v := range variants {
				a, keys := legacyWrite(t, dir, v, legacytest.Backup{Name: rubyLabels["baktainer.name"], Engine: tc.eng.Name(), Database: "app",
					Time: time.Now().Add(time.Duration(i) * time.Second), Dump: dump})
				dumps[a.Path], allKeys = dump, append(allKeys, keys...)
				rig.MySQL(t, dc, fresh, "root", "StrongPassword", "", "DROP DATABASE IF EXISTS app; CREATE DATABASE app;")
				legacyRestore(t, dc, tc.eng, legacyTarget(t, dc, fresh, labels.Spec{Database: "app"}), a, keys)
				if got := mysqlSnapshot(t, dc, fresh, "StrongPassword", "app"); got != want {
					t.Fatalf("%s: restored data differs from the source:\n%s", v.name, legacyDiff(want, got))
				}
				if !strings.Contains(want, "Ünïcødé ✓ 東京 🐬") {
					t.Fatalf("the snapshot lacks the seeded data:\n%.500s", want)
				}
			}
			legacyMigrateAndCheck(t, dir, allKeys, dumps, nil)
		})
	}
}
