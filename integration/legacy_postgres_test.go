//go:build integration

package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
)

// legacyRubyReadmeLabels are the labels of the Ruby tool's README example, as its
// compose list form gives them (the quotes stay part of the name).
var legacyRubyReadmeLabels = map[string]string{
	"baktainer.backup":      "true",
	"baktainer.db.engine":   "postgres",
	"baktainer.db.name":     "app",
	"baktainer.db.user":     "postgres",
	"baktainer.db.password": "StrongPassword",
	"baktainer.name":        `"MyApp"`,
}

// TestLegacyPostgres dumps a seeded Postgres with the Ruby tool's own command,
// writes the dump as the Ruby tool did (BAKT with a hex key, gzip and BAKT with a
// passphrase, plain with the checksummed release's .meta), then verifies each
// against its .meta and restores it into a fresh container, each into its own
// database, and compares. A BAKT file with one flipped byte fails to authenticate
// and restores nothing: the database it was restored into stays empty (the flip
// lands in the COPY data of plain SQL, so without the tag the restore would succeed
// with one value changed).
func TestLegacyPostgres(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	env := []string{"POSTGRES_PASSWORD=StrongPassword", "POSTGRES_DB=app"}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "legacy-pg-src", Env: env, Labels: engRunLabels(legacyRubyReadmeLabels)})
	fresh := rig.Start(t, dc, rig.ContainerSpec{Name: "legacy-pg-fresh", Image: rig.PostgresImage, Env: env, Labels: engRunLabels(nil)})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL+pgBulkSQL)
	want := pgDatabaseSnapshot(t, dc, src, "app", "StrongPassword")
	// PostgreSQLBackupStrategy: pg_dump -U user -d database, the password in PGPASSWORD.
	dump := legacyRubyDump(t, dc, src, []string{"PGPASSWORD=StrongPassword"}, "pg_dump", "-U", "postgres", "-d", "app")

	dir := t.TempDir()
	variants := []legacyVariant{
		{name: "hex key, not compressed", settings: legacytest.Settings{Env: map[string]string{"BT_COMPRESS": "false"}}, keyVar: legacy.EnvKey, keyValue: strings.Repeat("5e", 32)},
		{name: "passphrase", keyVar: legacy.EnvPassphrase, keyValue: "a long Ruby-era passphrase ✓"},
		{name: "checksummed release", settings: legacytest.Settings{Generation: legacytest.Checksummed}},
	}
	var archives []legacy.Archive
	var keys [][]legacy.Key
	dumps := map[string][]byte{}
	for i, v := range variants {
		a, k := legacyWrite(t, dir, v, legacytest.Backup{Name: legacyRubyReadmeLabels["baktainer.name"], Engine: "postgres", Database: "app",
			Time: time.Now().Add(time.Duration(i) * time.Second), Dump: dump})
		archives, keys = append(archives, a), append(keys, k)
		dumps[a.Path] = dump
	}
	rig.WaitFor(t, dc, fresh, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	for i, a := range archives {
		db := "app"
		if i > 0 {
			db = "restored" + string(rune('0'+i))
			rig.Psql(t, dc, fresh, "postgres", "postgres", "CREATE DATABASE "+db)
		}
		legacyRestore(t, dc, engines.Postgres{}, legacyTarget(t, dc, fresh, labels.Spec{Database: db}), a, keys[i])
		if got := pgDatabaseSnapshot(t, dc, fresh, db, "StrongPassword"); got != want {
			t.Fatalf("%s restored into %s differs from the source:\n%s", variants[i].name, db, legacyDiff(want, got))
		}
	}

	t.Run("FlippedByte", func(t *testing.T) {
		// A copy of the hex-key archive with one ciphertext byte flipped, restored into
		// an empty database: it must not authenticate, and restore nothing.
		bad := filepath.Join(t.TempDir(), archives[0].Day)
		if err := os.MkdirAll(bad, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{archives[0].Path, archives[0].Path + legacy.MetaExt} {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bad, filepath.Base(p)), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		flipped := filepath.Join(bad, filepath.Base(archives[0].Path))
		legacyFlipByte(t, flipped, -(archives[0].Size / 2))
		found, _, err := legacy.Find(context.Background(), filepath.Dir(bad))
		if err != nil || len(found) != 1 {
			t.Fatalf("Find: %v %v", found, err)
		}
		rig.Psql(t, dc, fresh, "postgres", "postgres", "CREATE DATABASE flipped")
		before := pgDatabaseSnapshot(t, dc, fresh, "flipped", "StrongPassword")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_, err = legacy.RestoreArchive(ctx, dc, engines.Postgres{}, legacyTarget(t, dc, fresh, labels.Spec{Database: "flipped"}), found[0], keys[0])
		if !errors.Is(err, legacy.ErrAuthentication) {
			t.Fatalf("restore of a flipped BAKT file: %v, want an authentication error", err)
		}
		t.Logf("flipped byte: %v", err)
		if after := pgDatabaseSnapshot(t, dc, fresh, "flipped", "StrongPassword"); after != before {
			t.Fatalf("the failed restore changed the database:\n%s", legacyDiff(before, after))
		}
		if strings.Contains(err.Error(), strings.Repeat("5e", 32)) {
			t.Fatal("the error shows the key")
		}
	})

	t.Run("Migrate", func(t *testing.T) {
		legacyMigrateAndCheck(t, dir, append(keys[0], keys[1]...), dumps, func(name string) (string, error) {
			return strings.Trim(name, `"`), nil // what the labels package's name mapping is to do
		})
	})
}
