//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
	"github.com/baktainer/baktainer/store"
)

// legacyVariant is one way the Ruby tool could have been configured.
type legacyVariant struct {
	name     string
	settings legacytest.Settings
	keyVar   string // the variable holding the key; "" for none
	keyValue string // its value (for BT_ENCRYPTION_KEY_FILE: the file's content)
}

// legacyEnv returns the Ruby tool's environment for v, writing the key file when
// there is one, and the keys baktainer reads from the same variables.
func legacyEnv(t *testing.T, v legacyVariant) (map[string]string, []legacy.Key) {
	t.Helper()
	env := map[string]string{}
	for k, val := range v.settings.Env {
		env[k] = val
	}
	if v.keyVar == "" {
		return env, nil
	}
	env["BT_ENCRYPTION_ENABLED"] = "true"
	env[v.keyVar] = v.keyValue
	if v.keyVar == legacy.EnvKeyFile {
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, []byte(v.keyValue), 0o600); err != nil {
			t.Fatal(err)
		}
		env[v.keyVar] = path
	}
	cfg, err := config.Load(func(k string) (string, bool) { val, ok := env[k]; return val, ok })
	if err = config.ProblemsWith(err, legacy.EnvKey, legacy.EnvKeyFile, legacy.EnvPassphrase); err != nil {
		t.Fatal(err)
	}
	return env, cfg.LegacyKeys
}

// legacyWrite writes dump the way the Ruby tool configured as v would have, into
// dir, and returns the archive found there and the keys that open it.
func legacyWrite(t *testing.T, dir string, v legacyVariant, b legacytest.Backup) (legacy.Archive, []legacy.Key) {
	t.Helper()
	env, keys := legacyEnv(t, v)
	s := v.settings
	s.Dir, s.Env = dir, env
	path, err := legacytest.Write(s, b)
	if err != nil {
		t.Fatal(err)
	}
	archives, problems, err := legacy.Find(context.Background(), dir)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Find %s: problems %v, err %v", dir, problems, err)
	}
	for _, a := range archives {
		if a.Path == path {
			return a, keys
		}
	}
	t.Fatalf("Find did not list %s", path)
	return legacy.Archive{}, nil
}

// legacyRubyDump runs the exact command the Ruby tool ran in the container (its
// backup strategies) and returns what it wrote to standard output.
func legacyRubyDump(t *testing.T, dc *docker.Client, container string, env []string, argv ...string) []byte {
	t.Helper()
	out := rig.Exec(t, dc, container, nil, env, argv...)
	if len(out) == 0 {
		t.Fatalf("%v in %s wrote nothing", argv, container)
	}
	return []byte(out)
}

// legacyTarget is a restore target: the container as Docker reports it, with the
// labels the new baktainer reads set as spec says.
func legacyTarget(t *testing.T, dc *docker.Client, container string, spec labels.Spec) engines.Target {
	t.Helper()
	c, err := dc.Inspect(context.Background(), container)
	if err != nil {
		t.Fatal(err)
	}
	return engines.Target{Container: c, Spec: spec}
}

// legacyRestore verifies and restores a Ruby-era archive into target and logs what
// verifying checked.
func legacyRestore(t *testing.T, dc *docker.Client, eng engines.Engine, target engines.Target, a legacy.Archive, keys []legacy.Key) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := legacy.RestoreArchive(ctx, dc, eng, target, a, keys)
	if err != nil {
		t.Fatalf("restore %s into %s: %v", a.Path, target.Container.Name, err)
	}
	t.Logf("%s: %s dump of %d bytes; checked: %v; warnings: %v", filepath.Base(a.Path), rep.Engine, rep.DumpSize, rep.Checked, rep.Warnings)
}

// legacyMigrateAndCheck migrates every Ruby-era archive under dir into a new
// store, encrypted to a fresh age key, and opens each new archive with the stock
// tools only: `sha256sum -c`, `age -d -i`, `zstd -d`. dumps maps each original's
// path to the dump it holds; rename (may be nil) maps names. It returns the store archives by original path and
// the identity file.
func legacyMigrateAndCheck(t *testing.T, dir string, keys []legacy.Key, dumps map[string][]byte, rename func(string) (string, error)) (map[string]string, string) {
	t.Helper()
	ctx := context.Background()
	idFile := filepath.Join(t.TempDir(), "age-key.txt")
	recipient, err := store.WriteIdentityFile(idFile, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := store.RecipientEncryption("test", []string{recipient})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := store.ReadIdentityFile(idFile)
	if err != nil {
		t.Fatal(err)
	}
	archives, problems, err := legacy.Find(ctx, dir)
	if err != nil || len(problems) != 0 || len(archives) != len(dumps) {
		t.Fatalf("Find: %d archives for %d dumps, problems %v, err %v", len(archives), len(dumps), problems, err)
	}
	dest := t.TempDir()
	results, err := legacy.Migrate(ctx, archives, legacy.MigrateOptions{Dest: dest, Keys: keys, Store: store.Options{Encryption: enc}, Identities: ids, Rename: rename})
	if err != nil {
		t.Fatal(err)
	}
	migrated := map[string]string{}
	age, zstd := rig.Tool(t, "age"), rig.Tool(t, "zstd")
	for _, r := range results {
		if r.Action != legacy.Migrated || !r.ReadBack || r.Err != nil {
			t.Fatalf("migrate %s: %+v", r.Source, r)
		}
		sums := exec.Command(rig.Tool(t, "sha256sum"), "-c", filepath.Base(r.Archive)+store.ChecksumExt)
		sums.Dir = filepath.Dir(r.Archive)
		if out, err := sums.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c %s: %v\n%s", r.Archive, err, out)
		}
		compressed := rig.Run(t, nil, age, "-d", "-i", idFile, r.Archive)
		plain := rig.Run(t, bytes.NewReader(compressed), zstd, "-d", "-c")
		if !bytes.Equal(plain, dumps[r.Source]) {
			t.Fatalf("age -d | zstd -d of %s: %d bytes, not the %d-byte dump of %s", r.Archive, len(plain), len(dumps[r.Source]), r.Source)
		}
		migrated[r.Source] = r.Archive
	}
	// A second run writes nothing.
	again, err := legacy.Migrate(ctx, archives, legacy.MigrateOptions{Dest: dest, Keys: keys, Store: store.Options{Encryption: enc}, Identities: ids, Rename: rename})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Action != legacy.AlreadyMigrated || r.Archive != migrated[r.Source] {
			t.Fatalf("second migration of %s: %+v", r.Source, r)
		}
	}
	t.Logf("migrated %d archives; stock sha256sum -c, age -d and zstd -d give back each dump", len(results))
	return migrated, idFile
}

// legacyFlipByte flips one bit of the byte at offset (from the end when negative).
func legacyFlipByte(t *testing.T, path string, offset int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if offset < 0 {
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		offset += fi.Size()
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x04
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
}

// legacyDiff shows the first line where two snapshots differ.
func legacyDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %.300q\ngot  %.300q", i+1, wl, gl)
		}
	}
	return "(equal)"
}
