package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// OpenCommitted reaches the archive and its sidecars through real directories
// and regular files only: a link in place of <name>, <date>, the archive or a
// sidecar, or a FIFO as a sidecar, is refused naming it; an oversized sidecar
// is an error.
func TestOpenCommittedFollowsNoLink(t *testing.T) {
	created := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, path string)
		refused bool
		want    string
	}{
		{"as committed", func(*testing.T, string) {}, false, ""},
		{"<date> is a link", linkInstead(func(p string) string { return filepath.Dir(p) }), true, "symbolic link"},
		{"<name> is a link", linkInstead(func(p string) string { return filepath.Dir(filepath.Dir(p)) }), true, "symbolic link"},
		{"the archive is a link", linkInstead(func(p string) string { return p }), true, "symbolic link"},
		{"the .json is a link", linkInstead(func(p string) string { return p + MetaExt }), true, "symbolic link"},
		{"the .sha256 is a FIFO", func(t *testing.T, p string) {
			if err := errors.Join(os.Remove(p+ChecksumExt), syscall.Mkfifo(p+ChecksumExt, 0o600)); err != nil {
				t.Fatal(err)
			}
		}, true, "FIFO"},
		{"the .json is too large", func(t *testing.T, p string) {
			if err := os.WriteFile(p+MetaExt, bytes.Repeat([]byte(" "), 5000), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false, "larger than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := writeArchive(t, t.TempDir(), "shop", created, []byte("-- dump\n"), Options{})
			tc.change(t, path)
			c, err := OpenCommitted(path, 4096)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Archive.Close()
				if want, _ := os.ReadFile(path + ChecksumExt); !bytes.Equal(c.Checksum, want) || len(c.Meta) == 0 {
					t.Fatalf("sidecars %q, %q", c.Meta, c.Checksum)
				}
				return
			}
			if err == nil || errors.Is(err, ErrRefused) != tc.refused || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %v; want %q (refused: %v)", err, tc.want, tc.refused)
			}
		})
	}
}

// linkInstead moves the entry at of(path) aside and puts a link to it in its place.
func linkInstead(of func(string) string) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		entry := of(path)
		if err := errors.Join(os.Rename(entry, entry+".moved"), os.Symlink(entry+".moved", entry)); err != nil {
			t.Fatal(err)
		}
	}
}

// OpenVerifiedBelow opens an archive of root through real directories only:
// with <date> swapped for a link to a forged tree whose archive verifies, the
// path-based OpenVerified (the restore command's, for a path a person gives)
// opens the forged archive, OpenVerifiedBelow refuses it, naming the link; a
// path outside root is an error.
func TestOpenVerifiedBelowFollowsNoLink(t *testing.T) {
	created := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	root := t.TempDir()
	path, _ := writeArchive(t, root, "shop", created, []byte("-- the real dump\n"), Options{})
	if _, r, err := OpenVerifiedBelow(t.Context(), root, path); err != nil {
		t.Fatalf("as committed: %v", err)
	} else {
		r.Close()
	}
	forged, _ := writeArchive(t, t.TempDir(), "shop", created, []byte("-- forged\n"), Options{})
	day := filepath.Dir(path)
	if err := errors.Join(os.RemoveAll(day), os.Symlink(filepath.Dir(forged), day)); err != nil {
		t.Fatal(err)
	}
	if _, r, err := OpenVerified(t.Context(), path); err != nil {
		t.Fatalf("the path as given: %v", err)
	} else {
		r.Close()
	}
	if _, _, err := OpenVerifiedBelow(t.Context(), root, path); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("through a link below the root: %v; want it refused", err)
	}
	if _, _, err := OpenVerifiedBelow(t.Context(), t.TempDir(), path); err == nil || !strings.Contains(err.Error(), "not below") {
		t.Fatalf("outside the root: %v", err)
	}
}
