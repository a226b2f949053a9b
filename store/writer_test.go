package store

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestWriteAndOpenRoundTrip(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20)
	_, _ = rand.Read(data[:1<<20]) // part incompressible, part not
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		comp    Compression
		enc     Encryption
		wantExt string
	}{
		{Zstd, Encryption{}, ".sql.zst"},
		{Gzip, Encryption{}, ".sql.gz"},
		{None, Encryption{}, ".sql"},
		{Zstd, Encryption{Recipients: []age.Recipient{id.Recipient()}, Mode: "x25519", Fingerprints: []string{Fingerprint(id.Recipient().String())}}, ".sql.zst.age"},
	} {
		t.Run(string(tc.comp)+tc.wantExt, func(t *testing.T) {
			root := t.TempDir()
			p, err := Create(root, Meta{Name: "db", Engine: "postgres", Created: created}, "sql", Options{Compression: tc.comp, Encryption: tc.enc})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(p, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			path, meta, err := p.Commit()
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(root, "db", "2026-01-02", "db-20260102T030405Z"+tc.wantExt)
			if path != want {
				t.Errorf("path = %s, want %s", path, want)
			}
			if meta.DumpSize != int64(len(data)) || meta.File != filepath.Base(want) {
				t.Errorf("meta = %+v", meta)
			}
			if err := VerifyChecksum(path); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, %v; want the %d written", len(got), err, len(data))
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 3 {
				t.Errorf("directory holds %d files, want archive + 2 sidecars", len(entries))
			}
		})
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
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", path)
		}
		return nil
	})
}

func TestSameSecondKeepsBoth(t *testing.T) {
	root := t.TempDir()
	created := time.Now()
	var paths []string
	for i := 0; i < 2; i++ {
		p, err := Create(root, Meta{Name: "db", Created: created}, "sql", Options{Compression: None})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = p.Write([]byte(strings.Repeat("x", i+1)))
		path, _, err := p.Commit()
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	if paths[0] == paths[1] {
		t.Fatalf("second archive overwrote the first: %v", paths)
	}
	for _, p := range paths {
		if err := VerifyChecksum(p); err != nil {
			t.Error(err)
		}
	}
}
