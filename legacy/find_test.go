package legacy

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/legacy/legacytest"
)

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		base           string
		ok             bool
		name           string
		gzip, encrypts bool
	}{
		{"app-1752451200.sql", true, "app", false, false},
		{"my-app-2-1752451200.sql.gz", true, "my-app-2", true, false},
		{"app-1752451200.sql.gz.encrypted", true, "app", true, true},
		{"app-1752451200.sql.encrypted", true, "app", false, true},
		{"My App ✓-1752451200.sql", true, "My App ✓", false, false},
		{"app-175245120.sql", false, "", false, false},
		{"app-17524512000.sql", false, "", false, false},
		{"-1752451200.sql", false, "", false, false},
		{"app-1752451200.sql.meta", false, "", false, false},
		{"app-1752451200.sql.gz.encrypted.meta", false, "", false, false},
		{".app-1752451200.sql.tmp", false, "", false, false},
		{"app-20250714T000000Z.sql.zst", false, "", false, false},
	} {
		name, created, gz, enc, ok := ParseName(tc.base)
		if ok != tc.ok || name != tc.name || gz != tc.gzip || enc != tc.encrypts {
			t.Errorf("%q: %q %v %v %v, want %q %v %v %v", tc.base, name, gz, enc, ok, tc.name, tc.gzip, tc.encrypts, tc.ok)
		}
		if ok && !created.Equal(time.Unix(1752451200, 0)) {
			t.Errorf("%q: time %v", tc.base, created)
		}
	}
}

// TestFindHostileLayout puts links, FIFOs, leftovers and strangers where archives
// belong: each is a problem, none is followed or opened, and the real archives are
// still found.
func TestFindHostileLayout(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	s := legacytest.Settings{Dir: root}
	good, err := legacytest.Write(s, legacytest.Backup{Name: "app", Engine: "postgres", Time: when, Dump: []byte(pgDump)})
	if err != nil {
		t.Fatal(err)
	}
	day := filepath.Dir(good)
	secret := filepath.Join(outside, "secret-1752451200.sql")
	mustWrite(t, secret, pgDump)
	mustDo(t, os.Symlink(secret, filepath.Join(day, "link-1752451200.sql")))
	mustDo(t, os.Symlink(outside, filepath.Join(root, "2025-07-15")))
	mustDo(t, mkfifo(filepath.Join(day, "fifo-1752451200.sql")))
	mustWrite(t, filepath.Join(day, ".app-1752451300.sql.tmp"), "partial")
	mustWrite(t, filepath.Join(day, "gone-1752451200.sql.gz.meta"), "{}")
	mustWrite(t, filepath.Join(day, "notes.txt"), "hello")
	mustDo(t, os.Mkdir(filepath.Join(day, "sub-1752451200.sql"), 0o755))
	mustWrite(t, filepath.Join(root, "2025-13-01", "app-1752451200.sql"), pgDump) // no such day: not a day directory
	mustWrite(t, filepath.Join(root, "shop", "2025-07-14", "shop-20250714T000000Z.sql.zst"), "store archive")
	mustWrite(t, filepath.Join(day, "bad-1752451200.sql"), pgDump)
	mustWrite(t, filepath.Join(day, "bad-1752451200.sql.meta"), strings.Repeat(" ", maxMetaSize+1))

	archives, problems, err := Find(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, a := range archives {
		found = append(found, filepath.Base(a.Path))
	}
	if strings.Join(found, ",") != "bad-1752451200.sql,app-1752535805.sql.gz" {
		t.Fatalf("found %v", found)
	}
	if archives[0].MetaErr == nil {
		t.Fatal("an oversized .meta was accepted")
	}
	if _, err := Verify(context.Background(), archives[0], nil, nil); !errors.Is(err, ErrDamaged) {
		t.Fatalf("verify with an unusable .meta: %v", err)
	}
	var got []string
	for _, p := range problems {
		rel, _ := filepath.Rel(root, p.Path)
		got = append(got, rel+": "+p.Err.Error())
	}
	sort.Strings(got)
	want := []string{
		"2025-07-14/.app-1752451300.sql.tmp: left by an interrupted",
		"2025-07-14/fifo-1752451200.sql: not a regular file",
		"2025-07-14/gone-1752451200.sql.gz.meta: a .meta without its archive",
		"2025-07-14/link-1752451200.sql: not a regular file",
		"2025-07-14/notes.txt: not named like",
		"2025-07-14/sub-1752451200.sql: not a regular file",
		"2025-07-15: named like a day directory but not a directory",
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %q, want %q...", got[i], want[i])
		}
	}
}

func TestOpenRefusesALinkSwappedIn(t *testing.T) {
	dir, a := writeOne(t, legacytest.Settings{Generation: legacytest.FirstRelease}, legacytest.Backup{Name: "app", Dump: []byte(pgDump)})
	other := filepath.Join(dir, "elsewhere.sql")
	mustWrite(t, other, pgDump)
	mustDo(t, os.Remove(a.Path))
	mustDo(t, os.Symlink(other, a.Path))
	if _, err := Open(context.Background(), a, nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("opened through a link: %v", err)
	}
}

// TestOpenReleasesOnlyVerifiedBytes changes an archive after Open verified it: the
// reader returns the verified bytes up to the change, then ErrChanged, and never
// a changed byte.
func TestOpenReleasesOnlyVerifiedBytes(t *testing.T) {
	env, keys := keyEnv(t, EnvKey, strings.Repeat("d4", 32))
	plainEnv := map[string]string{"BT_COMPRESS": "false"}
	for k, v := range env {
		plainEnv[k] = v
	}
	big := make([]byte, 3*pinChunk)
	_, _ = rand.Read(big)
	dump := []byte(strings.Replace(pgDump, "SET", string(bytesToHexLines(big))+"SET", 1))
	for _, tc := range []struct {
		name     string
		settings legacytest.Settings
		limit    int // the most that may come before the change: the first MiB of plain
	}{
		{"plain", legacytest.Settings{Env: map[string]string{"BT_COMPRESS": "false"}}, pinChunk},
		{"encrypted", legacytest.Settings{Env: plainEnv}, pinChunk - BAKTHeaderSize},
		{"gzip, encrypted", legacytest.Settings{Env: env}, len(dump) - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a := writeOne(t, tc.settings, legacytest.Backup{Name: "app", Engine: "postgres", Dump: dump})
			d, err := Open(context.Background(), a, keys)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			// Change a byte of the second MiB of the file, in place.
			f, err := os.OpenFile(a.Path, os.O_RDWR, 0)
			mustDo(t, err)
			_, err = f.WriteAt([]byte{'!'}, pinChunk+7)
			mustDo(t, err)
			f.Close()
			got, err := io.ReadAll(d)
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("read after a change: %v", err)
			}
			if !bytes.HasPrefix(dump, got) || len(got) > tc.limit {
				t.Fatalf("released %d bytes that are not the verified dump's first MiB", len(got))
			}
		})
	}
}

func bytesToHexLines(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		n := min(len(b), 32)
		out.WriteString("-- ")
		for _, c := range b[:n] {
			out.WriteByte("0123456789abcdef"[c>>4])
			out.WriteByte("0123456789abcdef"[c&15])
		}
		out.WriteByte('\n')
		b = b[n:]
	}
	return out.Bytes()
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	mustDo(t, os.MkdirAll(filepath.Dir(path), 0o755))
	mustDo(t, os.WriteFile(path, []byte(content), 0o644))
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
