package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A backup volume is writable by the containers that mount it: whatever they plant
// there (links, FIFOs, files named like ours) is hostile input.

// withinDeadline runs f and fails the test when it has not returned after a few
// seconds: a FIFO opened for reading blocks until a writer comes, which never does.
func withinDeadline(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked for 5 s (on a FIFO?)", what)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFIFOsNeverBlock(t *testing.T) {
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, good string)
	}{
		{"archive", func(t *testing.T, good string) {
			// A FIFO in place of an empty archive, its sidecars intact: only
			// opening it can tell.
			p, _ := writeArchive(t, filepath.Dir(filepath.Dir(filepath.Dir(good))), "db", day.Add(time.Second), nil, Options{Compression: None})
			_ = os.Remove(p)
			mkfifo(t, p)
		}},
		{"metadata sidecar", func(t *testing.T, good string) {
			p, _ := writeArchive(t, filepath.Dir(filepath.Dir(filepath.Dir(good))), "db", day.Add(time.Second), []byte("x"), Options{})
			_ = os.Remove(p + MetaExt)
			mkfifo(t, p+MetaExt)
		}},
		{"checksum sidecar", func(t *testing.T, good string) {
			p, _ := writeArchive(t, filepath.Dir(filepath.Dir(filepath.Dir(good))), "db", day.Add(time.Second), []byte("x"), Options{})
			_ = os.Remove(p + ChecksumExt)
			mkfifo(t, p+ChecksumExt)
		}},
		{"orphan sidecar", func(t *testing.T, good string) {
			mkfifo(t, filepath.Join(filepath.Dir(good), "db-20260102T030407Z.sql.zst.json"))
		}},
		{"temp file", func(t *testing.T, good string) {
			mkfifo(t, filepath.Join(filepath.Dir(good), tempPrefix+"db-20260102T030407Z.sql.zst-99"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			good, _ := writeArchive(t, root, "db", day, []byte("good dump"), Options{})
			tc.plant(t, good)
			withinDeadline(t, "List", func() { _, _ = List(context.Background(), root) })
			withinDeadline(t, "Cleanup", func() { _, _ = Cleanup(context.Background(), root) })
			withinDeadline(t, "Prune", func() {
				_, _ = Prune(context.Background(), root, "db", Policy{MaxCount: 1}, day.Add(time.Hour), PruneOptions{})
			})
			entries, _ := os.ReadDir(filepath.Dir(good))
			for _, e := range entries {
				path := filepath.Join(filepath.Dir(good), e.Name())
				withinDeadline(t, "Verify "+e.Name(), func() { _, _ = Verify(context.Background(), path) })
			}
			if _, err := Verify(context.Background(), good); err != nil {
				t.Errorf("the good archive suffered: %v", err)
			}
		})
	}
}

// A container that links <name>/<today> (or <name>) to another directory must not
// redirect the writer there: Create refuses, naming the link.
func TestCreateRefusesLinkedDirectories(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		link string // relative to root; it points at elsewhere
	}{
		{"day directory", "db/2026-01-02"},
		{"name directory", "db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			elsewhere := t.TempDir()
			link := filepath.Join(root, tc.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, link); err != nil {
				t.Fatal(err)
			}
			p, err := Create(root, Meta{Name: "db", Created: created}, "sql", Options{})
			if err == nil {
				_, _ = p.Write([]byte("dump"))
				path, _, cerr := p.Commit()
				t.Fatalf("Create followed the link %s: archive %s (%v)", link, path, cerr)
			}
			if !strings.Contains(err.Error(), link) {
				t.Errorf("the error does not name the refused path %s: %v", link, err)
			}
			if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
				t.Errorf("something was written where the link points: %v", entries)
			}
		})
	}
}
