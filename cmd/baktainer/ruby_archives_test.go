package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
	"github.com/baktainer/baktainer/store"
)

const rubyPgDump = "--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE t (id int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n"

// rubyBackups writes Ruby-era archives of the name `"MyApp"` (the Ruby README's
// compose form), one a day from days ago, as the Ruby tool configured by env did.
func rubyBackups(t *testing.T, dir string, env map[string]string, days ...int) []string {
	t.Helper()
	return rubyBackupsOf(t, dir, `"MyApp"`, env, days...)
}

func rubyBackupsOf(t *testing.T, dir, name string, env map[string]string, days ...int) []string {
	t.Helper()
	var paths []string
	for _, d := range days {
		b := legacytest.Backup{Name: name, Engine: "postgres", Database: "app",
			Time: time.Now().Add(-time.Duration(d)*24*time.Hour - time.Hour), Dump: []byte(rubyPgDump)}
		p, err := legacytest.Write(legacytest.Settings{Dir: dir, Env: env}, b)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// storeBackup commits a current archive of name, days ago.
func storeBackup(t *testing.T, dir, name string, days int) string {
	t.Helper()
	p, err := store.Create(dir, store.Meta{Name: name, Engine: "postgres", Created: time.Now().Add(-time.Duration(days) * 24 * time.Hour).Truncate(time.Second)},
		"sql", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte(rubyPgDump)); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// #13: `list` shows the Ruby tool's archives beside the current ones, under the
// name retention and migrate give them (MyApp for `"MyApp"`).
func TestListShowsRubyArchives(t *testing.T) {
	dir := t.TempDir()
	key := map[string]string{"BT_ENCRYPTION_ENABLED": "true", legacy.EnvKey: strings.Repeat("3c", 32)}
	ruby := append(rubyBackups(t, dir, nil, 3), rubyBackups(t, dir, key, 2)...)
	current := storeBackup(t, dir, "MyApp", 1)
	out, errOut, code := runCLI(t, nil, "list", dir)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range append(ruby, current) {
		if !strings.Contains(out, p) {
			t.Errorf("list lacks %s:\n%s", p, out)
		}
	}
	if !strings.Contains(out, "ruby") || strings.Count(out, "MyApp ") < 3 {
		t.Errorf("list does not mark the Ruby archives, or not under MyApp:\n%s", out)
	}
	out, _, code = runCLI(t, nil, "list", dir, "--json")
	var listed []map[string]any
	if err := json.Unmarshal([]byte(out), &listed); err != nil || code != 0 || len(listed) != 3 {
		t.Fatalf("list --json: exit %d, %v:\n%s", code, err, out)
	}
	for i, want := range []struct {
		format, encryption, rubyName string
	}{{"ruby", "none", `"MyApp"`}, {"ruby", "bakt", `"MyApp"`}, {"baktainer", "none", ""}} {
		a := listed[i]
		if a["format"] != want.format || a["name"] != "MyApp" || a["encryption"] != want.encryption {
			t.Errorf("list --json entry %d: %v", i, a)
		}
		if want.rubyName != "" && a["ruby_name"] != want.rubyName {
			t.Errorf("list --json entry %d lacks its Ruby-era name: %v", i, a)
		}
	}
}

// #13: `prune` counts the Ruby tool's archives with the current ones of the same
// (mapped) name; what it removes of them goes with its .meta, and nothing else.
func TestPruneCountsRubyArchives(t *testing.T) {
	dir := t.TempDir()
	ruby := rubyBackups(t, dir, nil, 5, 4, 3)
	current := []string{storeBackup(t, dir, "MyApp", 2), storeBackup(t, dir, "MyApp", 1)}
	other := storeBackup(t, dir, "other", 9)
	out, errOut, code := runCLI(t, nil, "prune", dir, "--count", "3", "--dry-run")
	if code != 0 || strings.Count(out, "would remove") != 2 || !strings.Contains(out, "would remove "+ruby[0]) || !strings.Contains(out, "would remove "+ruby[1]) {
		t.Fatalf("prune --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, nil, "prune", dir, "--count", "3")
	if code != 0 {
		t.Fatalf("prune: exit %d\n%s%s", code, out, errOut)
	}
	for i, p := range append(append(ruby, current...), other) {
		_, err := os.Stat(p)
		_, metaErr := os.Stat(p + legacy.MetaExt)
		gone := i < 2
		if gone != os.IsNotExist(err) || (i < 3 && gone != os.IsNotExist(metaErr)) {
			t.Errorf("%s: stat %v, .meta %v, want removed %v\n%s", p, err, metaErr, gone, out)
		}
	}
	if !strings.Contains(out, "2 archive(s) removed") {
		t.Errorf("prune:\n%s", out)
	}
	// A name with Ruby-era archives only.
	solo := rubyBackupsOf(t, dir, "solo", nil, 8, 7)
	out, errOut, code = runCLI(t, nil, "prune", dir, "--count", "1", "--name", "solo")
	if _, err := os.Stat(solo[0]); code != 0 || !os.IsNotExist(err) || !strings.Contains(out, "keep   "+solo[1]) {
		t.Errorf("prune of a Ruby-only name: exit %d, %v\n%s%s", code, err, out, errOut)
	}
}

// #13: `migrate DIR` rewrites the Ruby tool's archives into the store under their
// mapped name, keeps the originals, and writes nothing the second time.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	key := map[string]string{"BT_ENCRYPTION_ENABLED": "true", legacy.EnvKey: strings.Repeat("3c", 32)}
	ruby := append(rubyBackups(t, dir, nil, 3), rubyBackups(t, dir, key, 2)...)
	env := map[string]string{legacy.EnvKey: strings.Repeat("3c", 32), "BT_ENCRYPTION_ENABLED": "false"}
	out, errOut, code := runCLI(t, env, "migrate", dir)
	if code != 0 || strings.Count(out, "migrated ") != 2 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	listing, err := store.List(context.Background(), dir)
	if err != nil || len(listing) != 2 || listing[0].Meta.Name != "MyApp" {
		t.Fatalf("the store after migrate: %+v %v", listing, err)
	}
	for _, p := range ruby {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the original %s is gone: %v", p, err)
		}
	}
	out, errOut, code = runCLI(t, env, "migrate", dir)
	if code != 0 || strings.Count(out, "already migrated") != 2 {
		t.Fatalf("migrate again: exit %d\n%s%s", code, out, errOut)
	}
	// Without the key, the encrypted one fails, loudly.
	_, errOut, code = runCLI(t, map[string]string{legacy.EnvKey: ""}, "migrate", dir, "--dest", t.TempDir())
	if code != 1 || !strings.Contains(errOut, ruby[1]) {
		t.Errorf("migrate without the key: exit %d\n%s", code, errOut)
	}
}
