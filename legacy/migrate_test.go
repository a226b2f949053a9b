package legacy

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/legacy/legacytest"
	"github.com/baktainer/baktainer/store"
)

// rubyDir writes one archive of each kind into a Ruby-layout directory.
func rubyDir(t *testing.T) (string, []Key) {
	t.Helper()
	dir := t.TempDir()
	env, keys := keyEnv(t, EnvKey, "correct horse battery staple")
	for i, s := range []legacytest.Settings{
		{Generation: legacytest.FirstRelease},
		{Generation: legacytest.Checksummed},
		{Env: map[string]string{"BT_COMPRESS": "false"}},
		{},
		{Env: env},
	} {
		s.Dir = dir
		b := legacytest.Backup{Name: "app", Engine: "postgres", Database: "app", Time: when.Add(time.Duration(i) * time.Hour), Dump: []byte(pgDump)}
		if _, err := legacytest.Write(s, b); err != nil {
			t.Fatal(err)
		}
	}
	return dir, keys
}

func TestMigrate(t *testing.T) {
	src, keys := rubyDir(t)
	dest := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := store.RecipientEncryption("test", []string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	archives, _, err := Find(ctx, src)
	if err != nil || len(archives) != 5 {
		t.Fatalf("%d archives, %v", len(archives), err)
	}
	opts := MigrateOptions{Dest: dest, Keys: keys, Store: store.Options{Encryption: enc}, Identities: []age.Identity{id}}
	results, err := Migrate(ctx, archives, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Action != Migrated || !r.ReadBack || r.Removed || r.Err != nil {
			t.Fatalf("result %d: %+v", i, r)
		}
		want := filepath.Join(dest, "app", "2025-07-14", "app-"+archives[i].Created.Format("20060102T150405Z")+".sql.zst.age")
		if archives[i].Created.Day() == 15 {
			want = strings.Replace(want, "2025-07-14", "2025-07-15", 1)
		}
		if r.Archive != want {
			t.Fatalf("new archive %s, want %s", r.Archive, want)
		}
		m, err := store.Verify(context.Background(), r.Archive)
		wantDB := "app"
		if archives[i].Meta == nil || archives[i].Meta.Kind() == MetaEncryption { // the .meta that names it is not there
			wantDB = ""
		}
		if err != nil || m.Engine != "postgres" || m.Database != wantDB || m.Container != "app" {
			t.Fatalf("store.Verify: %+v %v", m, err)
		}
		rc, err := store.Open(r.Archive, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != pgDump {
			t.Fatalf("migrated dump differs: %v", err)
		}
		if _, err := os.Stat(archives[i].Path); err != nil {
			t.Fatalf("the original is gone: %v", err)
		}
	}
	before := storeFiles(t, dest)

	// Again, removing the originals this time: nothing new is written.
	opts.RemoveOriginals = true
	results, err = Migrate(ctx, archives, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Action != AlreadyMigrated || !r.ReadBack || !r.Removed || r.Err != nil {
			t.Fatalf("second run, result %d: %+v", i, r)
		}
	}
	if after := storeFiles(t, dest); after != before {
		t.Fatalf("a second run changed the store:\nbefore %s\nafter  %s", before, after)
	}
	if left, _, _ := Find(ctx, src); len(left) != 0 {
		t.Fatalf("originals left after removal: %v", left)
	}
}

func storeFiles(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, strings.TrimPrefix(p, dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, " ")
}

func TestMigrateRefusesAndKeeps(t *testing.T) {
	ctx := context.Background()
	src, keys := rubyDir(t)
	archives, _, _ := Find(ctx, src)
	id, _ := age.GenerateX25519Identity()
	enc, _ := store.RecipientEncryption("test", []string{id.Recipient().String()})

	if _, err := Migrate(ctx, archives, MigrateOptions{Dest: t.TempDir(), Keys: keys, Store: store.Options{Encryption: enc}, RemoveOriginals: true}); err == nil {
		t.Fatal("removing originals without a way to read the new archives back was allowed")
	}

	// Without a key, the encrypted one fails and the others migrate; nothing is removed.
	dest := t.TempDir()
	results, err := Migrate(ctx, archives, MigrateOptions{Dest: dest, RemoveOriginals: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		wantFail := archives[i].Encrypted
		if (r.Action == Failed) != wantFail || wantFail && !errors.Is(r.Err, ErrNeedKey) {
			t.Fatalf("result %d: %+v", i, r)
		}
		if _, err := os.Stat(archives[i].Path); (err == nil) != wantFail {
			t.Fatalf("%s: removed %v, want removed only when migrated", archives[i].Path, err)
		}
	}

	// A name the store cannot use (kept so by Rename) fails with the store's reason.
	odd := t.TempDir()
	if _, err := legacytest.Write(legacytest.Settings{Dir: odd}, legacytest.Backup{Name: "My App", Engine: "postgres", Time: when, Dump: []byte(pgDump)}); err != nil {
		t.Fatal(err)
	}
	oddArchives, _, _ := Find(ctx, odd)
	keep := func(name string) (string, error) { return name, nil }
	results, err = Migrate(ctx, oddArchives, MigrateOptions{Dest: t.TempDir(), Rename: keep})
	if err != nil || results[0].Action != Failed || !strings.Contains(results[0].Err.Error(), "invalid archive name") {
		t.Fatalf("odd name: %+v %v", results, err)
	}
}

// #13: a Ruby-era name the store cannot use (the Ruby README's `"MyApp"`, quotes
// and all) is migrated under the name the baktainer.name label maps it to
// (parse.MapBackupName), so the new archives and the migrated ones are one name.
func TestMigrateMapsNames(t *testing.T) {
	src := t.TempDir()
	for i, name := range []string{`"MyApp"`, "my app"} {
		b := legacytest.Backup{Name: name, Engine: "postgres", Database: "app", Time: when.Add(time.Duration(i) * time.Hour), Dump: []byte(pgDump)}
		if _, err := legacytest.Write(legacytest.Settings{Dir: src}, b); err != nil {
			t.Fatal(err)
		}
	}
	archives, _, err := Find(context.Background(), src)
	if err != nil || len(archives) != 2 {
		t.Fatalf("%d archives, %v", len(archives), err)
	}
	if got := archives[0].BackupName(); got != "MyApp" {
		t.Errorf("BackupName of %s = %q", archives[0].Path, got)
	}
	results, err := Migrate(context.Background(), archives, MigrateOptions{Dest: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"MyApp", "my_app-"} {
		r := results[i]
		if r.Err != nil || !strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(r.Archive))), want) {
			t.Errorf("%s migrated to %s (%v), want under %s", r.Source, r.Archive, r.Err, want)
		}
	}
}
