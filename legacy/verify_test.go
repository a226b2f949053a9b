package legacy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/legacy/legacytest"
)

// Dumps as the engines' tools write them, small.
var (
	pgDump = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nCREATE TABLE t (id int);\nCOPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
	myDump = "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n--\n-- Host: localhost    Database: app\n" +
		"-- ------------------------------------------------------\n\nCREATE TABLE `t` (`id` int);\nINSERT INTO `t` VALUES (1);\n-- Dump completed on 2025-07-14 10:00:00\n"
	liteDump = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(id);\nINSERT INTO t VALUES(1);\nCOMMIT;\n"
)

var when = time.Date(2025, 7, 14, 23, 30, 5, 0, time.UTC)

// writeOne writes one Ruby-era archive into a fresh directory and finds it.
func writeOne(t *testing.T, s legacytest.Settings, b legacytest.Backup) (string, Archive) {
	t.Helper()
	if s.Dir == "" {
		s.Dir = t.TempDir()
	}
	if b.Time.IsZero() {
		b.Time = when
	}
	path, err := legacytest.Write(s, b)
	if err != nil {
		t.Fatal(err)
	}
	archives, problems, err := Find(context.Background(), s.Dir)
	if err != nil || len(problems) != 0 || len(archives) != 1 {
		t.Fatalf("Find: %d archives, problems %v, err %v", len(archives), problems, err)
	}
	if archives[0].Path != path {
		t.Fatalf("found %s, wrote %s", archives[0].Path, path)
	}
	return s.Dir, archives[0]
}

func keyEnv(t *testing.T, name, value string) (map[string]string, []Key) {
	t.Helper()
	env := map[string]string{"BT_ENCRYPTION_ENABLED": "true", name: value}
	if name == EnvKeyFile {
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		env[name] = path
	}
	keys := testKeys(t, env)
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	return env, keys
}

// TestRoundTrip writes each kind of archive the Ruby way, then finds, verifies and
// opens it.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gen        legacytest.Generation
		compress   string
		keyVar     string
		keyValue   string
		engine     string
		dump       string
		wantGzip   bool
		wantMeta   MetaKind // "" for none
		wantChecks int
	}{
		{"first release", legacytest.FirstRelease, "", "", "", "postgres", pgDump, false, "", 1},
		{"checksummed", legacytest.Checksummed, "", "", "", "mysql", myDump, false, MetaBackup, 2},
		{"plain", legacytest.Current, "false", "", "", "sqlite", liteDump, false, MetaBackup, 2},
		{"gzip", legacytest.Current, "", "", "", "postgresql", pgDump, true, MetaBackup, 3},
		{"raw key", legacytest.Current, "", EnvKey, "0123456789abcdefghijklmnopqrstuv", "postgres", pgDump, true, MetaEncryption, 4},
		{"hex key", legacytest.Current, "", EnvKey, strings.Repeat("a1", 32), "mariadb", myDump, true, MetaEncryption, 4},
		{"base64 key", legacytest.Current, "", EnvKey, "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "sqlite", liteDump, true, MetaEncryption, 4},
		{"derived key", legacytest.Current, "", EnvKey, "correct horse battery staple", "postgres", pgDump, true, MetaEncryption, 4},
		{"key file", legacytest.Current, "false", EnvKeyFile, strings.Repeat("b2", 32) + "\n", "mysql", myDump, false, MetaEncryption, 3},
		{"passphrase", legacytest.Current, "", EnvPassphrase, "Grüße aus Köln ✓ 2025", "postgres", pgDump, true, MetaEncryption, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := legacytest.Settings{Generation: tc.gen, Env: map[string]string{}}
			var keys []Key
			if tc.keyVar != "" {
				s.Env, keys = keyEnv(t, tc.keyVar, tc.keyValue)
			}
			_, a := writeOne(t, s, legacytest.Backup{Name: "my-app", Engine: tc.engine, Database: "app", Compress: tc.compress, Dump: []byte(tc.dump)})
			if a.Name != "my-app" || !a.Created.Equal(when) || a.Gzip != tc.wantGzip || a.Encrypted != (tc.keyVar != "") || a.Day != "2025-07-14" {
				t.Fatalf("archive %+v", a)
			}
			if kind := metaKind(a); kind != tc.wantMeta {
				t.Fatalf(".meta kind %q, want %q", kind, tc.wantMeta)
			}
			var sink bytes.Buffer
			rep, err := Verify(context.Background(), a, keys, &sink)
			if err != nil {
				t.Fatal(err)
			}
			if sink.String() != tc.dump || rep.DumpSize != int64(len(tc.dump)) {
				t.Fatalf("verify passed on %d bytes, want the dump", sink.Len())
			}
			if rep.Engine == "" || len(rep.Checked) != tc.wantChecks {
				t.Fatalf("report %+v, want engine and %d checks", rep, tc.wantChecks)
			}
			d, err := Open(context.Background(), a, keys)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got, err := io.ReadAll(d)
			if err != nil || string(got) != tc.dump {
				t.Fatalf("open: err %v, %d bytes", err, len(got))
			}
		})
	}
}

func metaKind(a Archive) MetaKind {
	if a.Meta == nil {
		return ""
	}
	return a.Meta.Kind()
}

func TestKeyChoice(t *testing.T) {
	env, right := keyEnv(t, EnvKey, strings.Repeat("c3", 32))
	wrong, err := ParseKey(EnvPassphrase, "not it")
	if err != nil {
		t.Fatal(err)
	}
	dir, a := writeOne(t, legacytest.Settings{Env: env}, legacytest.Backup{Name: "db", Engine: "postgres", Dump: []byte(pgDump)})
	ctx := context.Background()
	if _, err := Verify(ctx, a, nil, nil); !errors.Is(err, ErrNeedKey) || !strings.Contains(err.Error(), EnvKey) {
		t.Fatalf("no key: %v", err)
	}
	_, err = Verify(ctx, a, []Key{wrong}, nil)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), a.Meta.KeyFingerprint) || !strings.Contains(err.Error(), EnvPassphrase) {
		t.Fatalf("wrong key: %v", err)
	}
	rep, err := Verify(ctx, a, []Key{wrong, right[0]}, nil)
	if err != nil || rep.Key.Source() != EnvKey {
		t.Fatalf("two keys, the right one second: %v", err)
	}
	// Without the fingerprint the tag tells the keys apart.
	if err := os.Remove(a.Path + MetaExt); err != nil {
		t.Fatal(err)
	}
	archives, _, _ := Find(ctx, dir)
	if rep, err := Verify(ctx, archives[0], []Key{wrong, right[0]}, nil); err != nil || rep.Key.Source() != EnvKey {
		t.Fatalf("no .meta, two keys: %v", err)
	}
	if _, err := Verify(ctx, archives[0], []Key{wrong}, nil); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("no .meta, wrong key: %v", err)
	}
}

// TestDamage changes archives in the ways disks and people do.
func TestDamage(t *testing.T) {
	env, keys := keyEnv(t, EnvPassphrase, "a passphrase")
	for _, tc := range []struct {
		name     string
		settings legacytest.Settings
		dump     string
		change   func(t *testing.T, a Archive)
		want     error
	}{
		{"flipped byte, encrypted", legacytest.Settings{Env: env}, pgDump, flipByte(-20), ErrAuthentication},
		{"flipped byte, gzip", legacytest.Settings{}, pgDump, flipByte(-10), ErrChecksumMismatch},
		{"flipped byte, gzip, no .meta", legacytest.Settings{}, pgDump, both(flipByte(-10), removeMeta), ErrDamaged},
		{"truncated, encrypted", legacytest.Settings{Env: env}, pgDump, truncate(5), ErrDamaged},
		{"truncated, first release", legacytest.Settings{Generation: legacytest.FirstRelease}, pgDump, truncate(30), ErrIncomplete},
		{"sqlite dump that rolled back", legacytest.Settings{Generation: legacytest.FirstRelease}, strings.Replace(liteDump, "COMMIT;", "ROLLBACK; -- due to errors", 1), nil, ErrIncomplete},
		{".meta of another file", legacytest.Settings{}, pgDump, editMeta("my-app-1752535805.sql.gz", "other.sql.gz"), ErrDamaged},
		{".meta not JSON", legacytest.Settings{}, pgDump, writeMeta("{\"checksum\": "), ErrDamaged},
		{"empty dump", legacytest.Settings{Generation: legacytest.FirstRelease}, "", nil, ErrIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.settings.Dir = t.TempDir()
			path, err := legacytest.Write(tc.settings, legacytest.Backup{Name: "my-app", Engine: "postgres", Time: when, Dump: []byte(tc.dump)})
			if err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(t, Archive{Path: path})
			}
			archives, _, err := Find(context.Background(), tc.settings.Dir)
			if err != nil || len(archives) != 1 {
				t.Fatalf("Find: %v %v", archives, err)
			}
			var sink bytes.Buffer
			_, err = Verify(context.Background(), archives[0], keys, &sink)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			d, err := Open(context.Background(), archives[0], keys)
			if !errors.Is(err, tc.want) || d != nil {
				t.Fatalf("Open: %v, want %v and no dump", err, tc.want)
			}
		})
	}
}

func flipByte(offset int64) func(*testing.T, Archive) {
	return func(t *testing.T, a Archive) {
		f, err := os.OpenFile(a.Path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, _ := f.Stat()
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, fi.Size()+offset); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x20
		if _, err := f.WriteAt(b, fi.Size()+offset); err != nil {
			t.Fatal(err)
		}
	}
}

func truncate(n int64) func(*testing.T, Archive) {
	return func(t *testing.T, a Archive) {
		fi, err := os.Stat(a.Path)
		if err == nil {
			err = os.Truncate(a.Path, fi.Size()-n)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func removeMeta(t *testing.T, a Archive) {
	if err := os.Remove(a.Path + MetaExt); err != nil {
		t.Fatal(err)
	}
}

func both(fs ...func(*testing.T, Archive)) func(*testing.T, Archive) {
	return func(t *testing.T, a Archive) {
		for _, f := range fs {
			f(t, a)
		}
	}
}

func editMeta(old, new string) func(*testing.T, Archive) {
	return func(t *testing.T, a Archive) {
		data, err := os.ReadFile(a.Path + MetaExt)
		if err != nil || !bytes.Contains(data, []byte(old)) {
			t.Fatalf(".meta %s lacks %q (%v)", data, old, err)
		}
		writeMeta(strings.Replace(string(data), old, new, 1))(t, a)
	}
}

func writeMeta(content string) func(*testing.T, Archive) {
	return func(t *testing.T, a Archive) {
		if err := os.WriteFile(a.Path+MetaExt, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
