//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
	"github.com/baktainer/baktainer/store"
)

// TestLegacySQLite writes the Ruby tool's SQLite backups (sqlite3's .dump text, not
// a database file) with a raw key, with a key file ending in a line break, and
// gzipped without encryption, then restores each into a fresh application
// container whose older database it replaces; a migrated archive restores too.
func TestLegacySQLite(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	rubyLabels := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "sqlite", "baktainer.db.name": sqliteDB, "baktainer.name": "notes"}
	start := func(name string, set map[string]string) string {
		c := rig.Start(t, dc, rig.ContainerSpec{Name: name, Image: rig.SQLiteImage, Labels: engRunLabels(set)})
		rig.Exec(t, dc, c, nil, nil, "chown", rig.SQLiteUser, "/data")
		return c
	}
	src := start("legacy-lite-src", rubyLabels)
	fresh := start("legacy-lite-fresh", nil)
	rig.SQLite(t, dc, src, sqliteDB, sqliteSeedSQL)
	rig.SQLite(t, dc, fresh, sqliteDB, "PRAGMA journal_mode = WAL; CREATE TABLE stale (x); INSERT INTO stale VALUES (1);")
	want := sqliteSnapshot(t, dc, src)
	// SQLiteBackupStrategy: sqlite3 DATABASE .dump, as the container's own user.
	dump := legacyRubyDump(t, dc, src, nil, "sqlite3", sqliteDB, ".dump")

	dir := t.TempDir()
	variants := []legacyVariant{
		{name: "raw key", keyVar: legacy.EnvKey, keyValue: "a raw key of exactly 32 chars :)"},
		{name: "key file", keyVar: legacy.EnvKeyFile, keyValue: strings.Repeat("7a", 32) + "\n"},
		{name: "gzip", settings: legacytest.Settings{Env: map[string]string{"BT_COMPRESS": "true"}}},
	}
	dumps := map[string][]byte{}
	var allKeys []legacy.Key
	target := legacyTarget(t, dc, fresh, labels.Spec{Database: sqliteDB})
	for i, v := range variants {
		a, keys := legacyWrite(t, dir, v, legacytest.Backup{Name: rubyLabels["baktainer.name"], Engine: "sqlite", Database: sqliteDB,
			Time: time.Now().Add(time.Duration(i) * time.Second), Dump: dump})
		dumps[a.Path], allKeys = dump, append(allKeys, keys...)
		if i > 0 { // so that a restore that did nothing would show
			rig.SQLite(t, dc, fresh, sqliteDB, "DELETE FROM people;")
		}
		legacyRestore(t, dc, engines.SQLite{}, target, a, keys)
		legacySQLiteCheck(t, fresh, want, v.name)
	}

	migrated, idFile := legacyMigrateAndCheck(t, dir, allKeys, dumps, nil)
	ids, err := store.ReadIdentityFile(idFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range migrated {
		rig.SQLite(t, dc, fresh, sqliteDB, "DELETE FROM people;")
		r, err := store.Open(path, ids...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		err = legacy.Restore(ctx, dc, engines.SQLite{}, target, r)
		cancel()
		r.Close()
		if err != nil {
			t.Fatalf("restore the migrated %s: %v", path, err)
		}
		legacySQLiteCheck(t, fresh, want, "migrated")
		break // one is enough: they hold the same dump
	}
}

// legacySQLiteCheck compares the restored database with the source and checks
// the restore left no stranger's files.
func legacySQLiteCheck(t *testing.T, container, want, what string) {
	t.Helper()
	dc := rig.Docker(t)
	if got := sqliteSnapshot(t, dc, container); got != want {
		t.Fatalf("%s: restored tables differ from the source:\n%s", what, legacyDiff(want, got))
	}
	q := func(sql string) string { return strings.TrimSpace(rig.SQLite(t, dc, container, sqliteDB, sql)) }
	if v := q("PRAGMA integrity_check"); v != "ok" {
		t.Fatalf("%s: integrity_check: %s", what, v)
	}
	if q("SELECT count(*) FROM sqlite_schema WHERE name = 'stale'") != "0" {
		t.Fatalf("%s: the older database's table survived the restore", what)
	}
	if left := rig.Exec(t, dc, container, nil, nil, "find", "/data", "/tmp", "-name", "*baktainer*"); left != "" {
		t.Fatalf("%s: temporary files left behind: %s", what, left)
	}
	if others := rig.Exec(t, dc, container, nil, nil, "find", "/data", "!", "-user", "65534"); others != "" {
		t.Fatalf("%s: files not owned by the database's user: %s", what, others)
	}
}
