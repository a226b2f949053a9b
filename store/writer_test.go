package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

func TestWriteAndOpenRoundTrip(t *testing.T) {
	id, x25519 := testKey(t)
	sshPub, sshPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshKey, err := ssh.NewPublicKey(sshPub)
	if err != nil {
		t.Fatal(err)
	}
	sshID, err := agessh.NewEd25519Identity(sshPriv)
	if err != nil {
		t.Fatal(err)
	}
	sshEnc, err := RecipientEncryption("test", []string{string(ssh.MarshalAuthorizedKey(sshKey))})
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := RecipientEncryption("test", []string{id.Recipient().String(), string(ssh.MarshalAuthorizedKey(sshKey))})
	if err != nil {
		t.Fatal(err)
	}
	passEnc, err := PassphraseEncryption("test", "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	passID, err := PassphraseIdentity("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}

	data := make([]byte, 3<<20)
	_, _ = rand.Read(data[:1<<20]) // part incompressible, part not
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		comp     Compression
		enc      Encryption
		ids      []age.Identity
		wantExt  string
		wantMode string
	}{
		{"zstd", Zstd, Encryption{}, nil, ".sql.zst", ModeNone},
		{"gzip", Gzip, Encryption{}, nil, ".sql.gz", ModeNone},
		{"none", None, Encryption{}, nil, ".sql", ModeNone},
		{"default is zstd", "", Encryption{}, nil, ".sql.zst", ModeNone},
		{"zstd x25519", Zstd, x25519, []age.Identity{id}, ".sql.zst.age", ModeX25519},
		{"gzip ssh", Gzip, sshEnc, []age.Identity{sshID}, ".sql.gz.age", ModeSSH},
		{"none mixed, opened by ssh key", None, mixed, []age.Identity{sshID}, ".sql.age", ModeMixed},
		{"zstd passphrase", Zstd, passEnc, []age.Identity{passID}, ".sql.zst.age", ModePassphrase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path, meta := writeArchive(t, root, "db", created, data, Options{Compression: tc.comp, Encryption: tc.enc})
			want := filepath.Join(root, "db", "2026-01-02", "db-20260102T030405Z"+tc.wantExt)
			if path != want {
				t.Errorf("path = %s, want %s", path, want)
			}
			if meta.DumpSize != int64(len(data)) || meta.File != filepath.Base(want) || meta.Format != MetaFormat {
				t.Errorf("meta = %+v", meta)
			}
			if meta.Encryption.Mode != tc.wantMode || len(meta.Encryption.Recipients) != len(tc.enc.Fingerprints) {
				t.Errorf("encryption metadata = %+v, want mode %s", meta.Encryption, tc.wantMode)
			}
			onDisk, err := Verify(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if onDisk.SHA256 != meta.SHA256 || onDisk.Size != meta.Size {
				t.Errorf("metadata on disk %+v differs from Commit's %+v", onDisk, meta)
			}
			if got := readBack(t, path, tc.ids...); !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes; want the %d written", len(got), len(data))
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 3 {
				t.Errorf("directory holds %d files, want archive + 2 sidecars", len(entries))
			}
		})
	}
}

func TestMetadataHoldsNoKeyMaterial(t *testing.T) {
	id, enc := testKey(t)
	root := t.TempDir()
	path, _ := writeArchive(t, root, "db", time.Time{}, []byte("x"), Options{Encryption: enc})
	raw, err := os.ReadFile(path + MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{id.String(), id.Recipient().String()} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("metadata contains key material %.12s...", secret)
		}
	}
	if !bytes.Contains(raw, []byte(Fingerprint(id.Recipient().String()))) {
		t.Errorf("metadata lacks the recipient's fingerprint:\n%s", raw)
	}

	passEnc, _ := PassphraseEncryption("test", "hunter2-hunter2")
	path, _ = writeArchive(t, root, "db", time.Time{}, []byte("y"), Options{Encryption: passEnc})
	raw, _ = os.ReadFile(path + MetaExt)
	if bytes.Contains(raw, []byte("hunter2")) || !bytes.Contains(raw, []byte(`"mode": "passphrase"`)) {
		t.Errorf("passphrase metadata:\n%s", raw)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	p, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.Write([]byte("partial dump"))
	p.Abort()
	p.Abort() // twice is fine
	if files := filesUnder(t, root); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
	if _, _, err := p.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestCommitThenAbortKeepsArchive(t *testing.T) {
	root := t.TempDir()
	p, err := Create(root, Meta{Name: "db"}, "sql", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.Write([]byte("dump"))
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	p.Abort() // as a deferred Abort does
	if _, err := Verify(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
}

func TestSameSecondKeepsBoth(t *testing.T) {
	root := t.TempDir()
	created := time.Now()
	var paths []string
	for i := 0; i < 3; i++ {
		path, _ := writeArchive(t, root, "db", created, []byte(strings.Repeat("x", i+1)), Options{Compression: None})
		paths = append(paths, path)
	}
	if paths[0] == paths[1] || paths[1] == paths[2] {
		t.Fatalf("an archive overwrote another: %v", paths)
	}
	for i, p := range paths {
		if _, err := Verify(context.Background(), p); err != nil {
			t.Error(err)
		}
		if got := readBack(t, p); len(got) != i+1 {
			t.Errorf("%s holds %q", p, got)
		}
	}
}

func TestCreateRejectsBadNames(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"", ".hidden", "a/b", "../up", "a b", strings.Repeat("n", 201)} {
		if _, err := Create(root, Meta{Name: name}, "sql", Options{}); err == nil {
			t.Errorf("Create accepted name %q", name)
		}
	}
	for _, ext := range []string{"", "SQL", "a.b", "../x"} {
		if _, err := Create(root, Meta{Name: "db"}, ext, Options{}); err == nil {
			t.Errorf("Create accepted extension %q", ext)
		}
	}
	if _, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: "lz4"}); err == nil {
		t.Error("Create accepted compression lz4")
	}
	if files := filesUnder(t, root); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
}

func TestWriteErrorIsSticky(t *testing.T) {
	root := t.TempDir()
	p, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: None})
	if err != nil {
		t.Fatal(err)
	}
	p.err = errors.New("disk full") // as a failed write would leave it
	if _, err := p.Write([]byte("more")); err == nil {
		t.Error("Write after a failure succeeded")
	}
	if _, _, err := p.Commit(); err == nil {
		t.Error("Commit after a failed write succeeded")
	}
	if files := filesUnder(t, root); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
}

func filesUnder(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	return files
}

var _ io.Writer = (*Pending)(nil)

func TestEveryLevelRoundTripsAndIsRecorded(t *testing.T) {
	data := bytes.Repeat([]byte("INSERT INTO t VALUES (42, 'some text that repeats');\n"), 20000)
	for _, comp := range []Compression{Zstd, Gzip} {
		for _, level := range []Level{"", LevelFastest, LevelDefault, LevelBetter, LevelBest} {
			root := t.TempDir()
			p, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: comp, Level: level})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = p.Write(data)
			path, meta, err := p.Commit()
			if err != nil {
				t.Fatal(err)
			}
			want := level
			if want == "" {
				want = LevelFastest
			}
			if meta.Level != want {
				t.Errorf("%s %q: metadata says level %q", comp, level, meta.Level)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s %q: read back %d bytes, %v", comp, level, len(got), err)
			}
		}
	}
	if _, err := ParseLevel("turbo"); err == nil {
		t.Error("ParseLevel accepted turbo")
	}
}

// A failed backup leaves no empty <name>/<date>/ behind: Abort removes the
// directories it emptied, and never one that still holds something.
func TestAbortRemovesTheDirectoriesItEmptied(t *testing.T) {
	root := t.TempDir()
	p, err := Create(root, Meta{Name: "db"}, "sql", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("an aborted first backup left %v in the root", entries)
	}

	older, _ := writeArchive(t, root, "db", time.Now().Add(-48*time.Hour), []byte("kept"), Options{})
	p, err = Create(root, Meta{Name: "db"}, "sql", Options{})
	if err != nil {
		t.Fatal(err)
	}
	today := filepath.Dir(p.Path())
	p.Abort()
	if _, err := os.Stat(today); !os.IsNotExist(err) {
		t.Errorf("the aborted backup's day directory stays: %v", err)
	}
	if _, err := Verify(context.Background(), older); err != nil {
		t.Errorf("the older archive suffered: %v", err)
	}
}

// Below the free-space floor a backup does not even start, and leaves nothing.
func TestCreateRefusesBelowTheFreeSpaceFloor(t *testing.T) {
	root := t.TempDir()
	_, err := Create(root, Meta{Name: "db"}, "sql", Options{MinFreeBytes: 1 << 62})
	if !errors.Is(err, ErrLowSpace) || !strings.Contains(err.Error(), "below the floor of") {
		t.Fatalf("Create = %v; want ErrLowSpace", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a refused backup left %v", entries)
	}
}
