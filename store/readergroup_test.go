package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// testGroup is a group the test may give files to: any as root (CI), else the
// test's own.
func testGroup() int {
	if os.Geteuid() == 0 {
		return 4242
	}
	return os.Getgid()
}

// owner returns path's mode bits and group.
func owner(t *testing.T, path string) (os.FileMode, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm(), int(fi.Sys().(*syscall.Stat_t).Gid)
}

// Issue 17.8: archives are root-only (0600) by default; with a reader group
// (BT_ARCHIVE_GROUP) the archive and its sidecars are 0640 in that group, and
// every directory from the root down is in the group and lets it in (g+rx),
// so a shipper running as a non-root member of the group can read them. What
// Cleanup finishes of an interrupted commit gets the archive's group too.
func TestReaderGroup(t *testing.T) {
	gid := testGroup()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	plain := t.TempDir()
	path, _ := writeArchive(t, plain, "db", day, []byte("x"), Options{})
	for _, f := range []string{path, path + ChecksumExt, path + MetaExt} {
		if mode, _ := owner(t, f); mode != 0o600 {
			t.Errorf("without a reader group %s is %v, want 0600", f, mode)
		}
	}

	root := filepath.Join(t.TempDir(), "backups")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	path, _ = writeArchive(t, root, "db", day, []byte("x"), Options{ReaderGroup: gid})
	for _, f := range []string{path, path + ChecksumExt, path + MetaExt} {
		if mode, g := owner(t, f); mode != 0o640 || g != gid {
			t.Errorf("%s is %v in group %d, want 0640 in group %d", f, mode, g, gid)
		}
	}
	for _, d := range []string{root, filepath.Dir(filepath.Dir(path)), filepath.Dir(path)} {
		if mode, g := owner(t, d); mode&0o050 != 0o050 || mode&0o007 != 0 || g != gid {
			t.Errorf("directory %s is %v in group %d, want g+rx (and nothing for others) in group %d", d, mode, g, gid)
		}
	}

	// A commit killed before its .sha256: Cleanup writes it like the archive.
	later, _ := writeArchive(t, root, "db", day.Add(time.Hour), []byte("y"), Options{ReaderGroup: gid})
	if err := os.Remove(later + ChecksumExt); err != nil {
		t.Fatal(err)
	}
	if _, err := Cleanup(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	if mode, g := owner(t, later+ChecksumExt); mode != 0o640 || g != gid {
		t.Errorf("the .sha256 Cleanup wrote is %v in group %d, want 0640 in group %d", mode, g, gid)
	}
}
