package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Cleanup touches only what baktainer names and recognises, inside its layout:
// issue #10's repro (package.json, .config/s.json) and files that only look like
// ours from afar must survive, byte for byte.
func TestCleanupTouchesOnlyItsOwnFiles(t *testing.T) {
	root := t.TempDir()
	good, _ := writeArchive(t, root, "shop", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), []byte("dump"), Options{})
	day := filepath.Dir(good)
	foreign := []string{
		filepath.Join(root, "package.json"),
		filepath.Join(root, ".config", "s.json"),
		filepath.Join(root, "notes.sha256"),
		filepath.Join(root, "shop", "settings.json"),
		filepath.Join(root, "shop", "not-a-date", "shop-20260101T000000Z.sql.zst.json"),
		filepath.Join(root, "shop", "2026-01-01", "sub", "shop-20260101T000000Z.sql.zst.json"),
		filepath.Join(root, ".hidden", "2026-01-01", "shop-20260101T000000Z.sql.zst.json"),
		filepath.Join(root, ".hidden", "2026-01-01", tempPrefix+"x"),
		filepath.Join(day, "readme.json"),
		filepath.Join(day, "other-20260101T000000Z.sql.zst.json"),    // another name's pattern
		filepath.Join(day, "shop-20260102T000000Z.sql.zst.json"),     // a time of another day
		filepath.Join(day, "shop-2026-01-01.sql.json"),               // not our timestamp
		filepath.Join(day, "shop-20260101T000000Z.json"),             // no dump extension
		filepath.Join(root, "shop", "2026-01-01", "shop.sha256"),     // not our pattern
		filepath.Join(root, "elsewhere", "2026-01-01", "x.json"),     // a name dir, not our file
		filepath.Join(root, "shop", "2026-01-01", "sub", tempPrefix), // below the layout
	}
	for _, p := range foreign {
		mustWrite(t, p, "{}")
	}
	ours := []string{
		filepath.Join(day, "shop-20260101T010000Z.sql.zst.json"),
		filepath.Join(day, "shop-20260101T010000Z-1.sql.gz.age.sha256"),
		filepath.Join(day, tempPrefix+"shop-20260101T020000Z.sql.zst-123"),
		filepath.Join(root, tempPrefix+"health-1"),
	}
	for _, p := range ours {
		mustWrite(t, p, "leftover")
	}
	before := snapshot(t, root)

	cleaned, err := Cleanup(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	removed := cleaned.Removed
	slices.Sort(removed)
	slices.Sort(ours)
	if !slices.Equal(removed, ours) {
		t.Errorf("Cleanup removed\n%v\nwant\n%v", removed, ours)
	}
	after := snapshot(t, root)
	for path, content := range before {
		if slices.Contains(ours, path) {
			continue
		}
		if after[path] != content {
			t.Errorf("Cleanup changed or removed %s", path)
		}
	}
}

// snapshot maps every file under root to its content.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[p] = "link to " + target
			return nil
		}
		if !d.Type().IsRegular() {
			out[p] = "special " + d.Type().String()
			return nil
		}
		raw, err := os.ReadFile(p)
		out[p] = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The commit writes the .json, renames the archive, then writes the .sha256: a kill
// between the last two leaves an archive with its .json only, never a .sha256 without
// its archive. Cleanup finishes such a commit when the archive matches its .json,
// and otherwise reports it and removes nothing.
func TestCleanupFinishesAnInterruptedCommit(t *testing.T) {
	root := t.TempDir()
	intact, _ := writeArchive(t, root, "db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), []byte("intact"), Options{})
	damaged, _ := writeArchive(t, root, "db", time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), []byte("damaged"), Options{})
	for _, p := range []string{intact, damaged} {
		if err := os.Remove(p + ChecksumExt); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(damaged, []byte("not what the .json describes"), 0o600); err != nil {
		t.Fatal(err)
	}
	damagedBefore := snapshot(t, filepath.Dir(damaged))

	if _, err := Cleanup(context.Background(), root); err == nil {
		t.Error("Cleanup did not report the archive that does not match its metadata")
	}
	if _, err := Verify(context.Background(), intact); err != nil {
		t.Errorf("the interrupted commit of an intact archive was not finished: %v", err)
	}
	after := snapshot(t, filepath.Dir(damaged))
	for _, p := range []string{damaged, damaged + MetaExt} {
		if after[p] != damagedBefore[p] {
			t.Errorf("Cleanup changed or removed %s", p)
		}
	}
	if _, ok := after[damaged+ChecksumExt]; ok {
		t.Errorf("Cleanup gave an archive that does not match its metadata a checksum")
	}
}
