//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// TestStoreCLIRefusesBadInput runs the commands a user runs with what a user gets
// wrong: the wrong key, a tampered archive, conflicting key settings. Each must
// fail with a clear message, exit non-zero, print no secret and leave nothing.
func TestStoreCLIRefusesBadInput(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	key := filepath.Join(work, "key.txt")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", key))
	otherKey := filepath.Join(work, "other.txt")
	storeMustCLI(t, nil, nil, "keygen", "-o", otherKey)
	secretKey := storeIdentityLine(t, key)
	dump := append(storeSQLDump(t, 13, 256<<10), storePGFooter...)
	root := filepath.Join(work, "root")
	archive := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(dump), nil,
		"archive", "pack", "--dir", root, "--name", "shop", "--ext", "sql", "--engine", "postgres", "--recipient", recipient))

	t.Run("keygen never overwrites", func(t *testing.T) {
		before, _ := os.ReadFile(key)
		res := storeCLI(t, nil, nil, "keygen", "-o", key)
		after, _ := os.ReadFile(key)
		if res.code == 0 || !strings.Contains(res.stderr, "already exists") || !bytes.Equal(before, after) {
			t.Fatalf("keygen over an existing key: exit %d; %s", res.code, res.stderr)
		}
	})
	t.Run("wrong identity", func(t *testing.T) {
		res := storeCLI(t, nil, nil, "archive", "unpack", archive, "--identity", otherKey)
		if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "wrong key") ||
			!strings.Contains(res.stderr, "none of the 1 identities given matches its recipients") {
			t.Fatalf("exit %d, %d bytes out; stderr: %s", res.code, len(res.stdout), res.stderr)
		}
		res = storeCLI(t, nil, nil, "verify", "--deep", archive, "--identity", otherKey)
		if res.code != 1 || !strings.Contains(res.stdout, "FAIL") || !strings.Contains(res.stdout, "wrong key") {
			t.Fatalf("verify --deep with the wrong key: exit %d\n%s", res.code, res.stdout)
		}
	})
	t.Run("no identity", func(t *testing.T) {
		res := storeCLI(t, nil, nil, "verify", "--deep", archive)
		if res.code != 1 || !strings.Contains(res.stdout, "needs an identity file or passphrase") {
			t.Fatalf("exit %d\n%s", res.code, res.stdout)
		}
		// Without --deep no key is needed: checksums only.
		storeMustCLI(t, nil, nil, "verify", archive)
	})
	t.Run("tampered archive", func(t *testing.T) {
		tampered := storeCopyArchive(t, archive, t.TempDir())
		storeFlipByte(t, tampered, 200)
		res := storeCLI(t, nil, nil, "verify", tampered)
		if res.code != 1 || !strings.Contains(res.stdout, "FAIL") || !strings.Contains(res.stdout, "checksum mismatch") {
			t.Fatalf("verify: exit %d\n%s", res.code, res.stdout)
		}
		res = storeCLI(t, nil, nil, "archive", "unpack", tampered, "--identity", key)
		if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "refusing to unpack") {
			t.Fatalf("unpack: exit %d, %d bytes out; %s", res.code, len(res.stdout), res.stderr)
		}
	})
	t.Run("incomplete dump", func(t *testing.T) {
		// pack refuses a cut dump (TestStoreCLIPackChecksEngineAndCompleteness); one
		// written by an older version, or by hand through the API, is still caught.
		p, err := store.Create(t.TempDir(), store.Meta{Name: "shop", Engine: "postgres"}, "sql", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(dump[:len(dump)/2]); err != nil {
			t.Fatal(err)
		}
		cut, _, err := p.Commit()
		if err != nil {
			t.Fatal(err)
		}
		storeMustCLI(t, nil, nil, "verify", cut) // the checksum is fine...
		res := storeCLI(t, nil, nil, "verify", "--deep", cut)
		if res.code != 1 || !strings.Contains(res.stdout, "postgres dump of") || !strings.Contains(res.stdout, "is not complete") {
			t.Fatalf("verify --deep of a cut dump: exit %d\n%s", res.code, res.stdout)
		}
		storeMustCLI(t, nil, nil, "verify", "--deep", archive, "--identity", key)
	})
	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		wantErr string
	}{
		{"recipients and passphrase", nil, []string{"BT_ENCRYPTION_RECIPIENTS=" + recipient, "BT_ENCRYPTION_PASSPHRASE=hunter2-Secret"},
			"BT_ENCRYPTION_PASSPHRASE: is set together with BT_ENCRYPTION_RECIPIENTS"},
		{"variable and its file", nil, []string{"BT_ENCRYPTION_PASSPHRASE=hunter2-Secret", "BT_ENCRYPTION_PASSPHRASE_FILE=" + key},
			"BT_ENCRYPTION_PASSPHRASE: is set together with BT_ENCRYPTION_PASSPHRASE_FILE"},
		{"private key as recipient", nil, []string{"BT_ENCRYPTION_RECIPIENTS=" + secretKey},
			"BT_ENCRYPTION_RECIPIENTS: recipient 1 of 1: this is a private key"},
		{"private key as recipient flag", []string{"--recipient", secretKey}, nil, "--recipient: recipient 1 of 1: this is a private key"},
		{"flags of two modes", []string{"--recipient", recipient, "--passphrase-file", key}, nil, "--passphrase-file cannot be combined with recipients"},
		{"unknown compression", []string{"--compress", "lz4"}, nil, `unknown compression "lz4"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := storeCLI(t, strings.NewReader("dump"), tc.env, append([]string{"archive", "pack", "--dir", dir, "--name", "shop"}, tc.args...)...)
			if res.code == 0 || !strings.Contains(res.stderr, tc.wantErr) {
				t.Fatalf("exit %d; stderr %q, want it to contain %q", res.code, res.stderr, tc.wantErr)
			}
			for _, secret := range []string{"hunter2", secretKey} {
				if strings.Contains(res.stderr+res.stdout, secret) {
					t.Errorf("output gives away a secret: %s", res.stderr)
				}
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
				t.Errorf("a refused pack left %v", files)
			}
		})
	}
}

// TestStoreCLIListAndPrune checks list (table and JSON) and prune (dry run, real,
// leftovers cleanup, the newest good archive protected) on a real directory.
func TestStoreCLIListAndPrune(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now().UTC()
	var shop []string
	for i := 5; i >= 0; i-- {
		shop = append(shop, storeCommitArchive(t, root, "shop", now.Add(-time.Duration(i)*24*time.Hour), store.Options{}))
	}
	key := filepath.Join(t.TempDir(), "key.txt")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", key))
	enc, err := store.RecipientEncryption("test", []string{recipient})
	if err != nil {
		t.Fatal(err)
	}
	cache := storeCommitArchive(t, root, "cache", now.Add(-48*time.Hour), store.Options{Encryption: enc})
	// What a crash leaves: a temp file, and the .json of an archive never renamed.
	leftover := filepath.Join(filepath.Dir(shop[5]), ".baktainer-tmp-shop-x.sql.zst-1")
	orphan := strings.Replace(shop[5], ".sql.zst", "-7.sql.zst", 1) + store.MetaExt
	for _, p := range []string{leftover, orphan} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var listed []map[string]any
	if err := json.Unmarshal([]byte(storeMustCLI(t, nil, nil, "list", root, "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 7 {
		t.Fatalf("list --json shows %d archives, want 7: %v", len(listed), listed)
	}
	for _, field := range []string{"path", "name", "created", "size", "sha256", "encrypted"} {
		if _, ok := listed[0][field]; !ok {
			t.Errorf("list --json lacks %q: %v", field, listed[0])
		}
	}
	for _, a := range listed {
		if a["path"] == cache && (a["encrypted"] != true || a["name"] != "cache") {
			t.Errorf("the encrypted archive is listed as %v", a)
		}
		if strings.Contains(a["path"].(string), ".baktainer-tmp") {
			t.Errorf("list shows a temp file: %v", a)
		}
	}
	if table := storeMustCLI(t, nil, nil, "list", root); !strings.Contains(table, filepath.Base(shop[0])) || strings.Contains(table, ".baktainer-tmp") {
		t.Errorf("list:\n%s", table)
	}

	// The newest shop archive is damaged: prune must keep the newest good one.
	storeFlipByte(t, shop[5], 0)
	env := []string{"BT_RETENTION_COUNT=1"}
	dry := storeMustCLI(t, nil, env, "prune", root, "--dry-run")
	if !strings.Contains(dry, "would remove "+shop[0]) || !strings.Contains(dry, "keep   "+shop[4]+": newest archive that passes verify") {
		t.Errorf("prune --dry-run:\n%s", dry)
	}
	for _, p := range append(shop, leftover) {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("a dry run removed %s", p)
		}
	}
	out := storeMustCLI(t, nil, env, "prune", root)
	for i, p := range shop {
		_, err := os.Stat(p)
		if kept := i >= 4; kept != (err == nil) {
			t.Errorf("after prune %s exists=%v, want %v\n%s", p, err == nil, kept, out)
		}
	}
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("the only cache archive is gone: %v", err)
	}
	for _, p := range []string{leftover, orphan} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("prune left the leftover %s", p)
		}
	}
	if res := storeCLI(t, nil, []string{"BT_RETENTION_COUNT=many"}, "prune", root); res.code == 0 || !strings.Contains(res.stderr, `BT_RETENTION_COUNT: "many"`) {
		t.Errorf("a bad BT_RETENTION_COUNT: exit %d, %s", res.code, res.stderr)
	}
}

// storeCommitArchive writes a small archive through the store API, with a chosen date.
func storeCommitArchive(t *testing.T, root, name string, created time.Time, opts store.Options) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Engine: "postgres", Created: created}, "sql", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("-- PostgreSQL database dump\nSELECT 1;\n" + storePGFooter)); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// storeCopyArchive copies an archive and its sidecars into dir.
func storeCopyArchive(t *testing.T, archive, dir string) string {
	t.Helper()
	for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
		data, err := os.ReadFile(archive + ext)
		if err != nil {
			t.Fatal(err)
		}
		storeWriteFile(t, dir, filepath.Base(archive)+ext, string(data))
	}
	return filepath.Join(dir, filepath.Base(archive))
}

// storeFlipByte inverts one byte of a file in place.
func storeFlipByte(t *testing.T, path string, offset int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
}

// storeIdentityLine returns the AGE-SECRET-KEY line of an identity file.
func storeIdentityLine(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			return line
		}
	}
	t.Fatalf("%s holds no identity", path)
	return ""
}
