package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestListShowsOnlyCommittedArchives(t *testing.T) {
	root := t.TempDir()
	older, _ := writeArchive(t, root, "db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), []byte("one"), Options{})
	newer, _ := writeArchive(t, root, "db", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), []byte("two"), Options{})
	other, _ := writeArchive(t, root, "cache", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), []byte("three"), Options{})

	// What a crash can leave: a temp file, an archive whose sidecars never came,
	// and sidecars whose archive never got its name.
	inProgress, err := Create(root, Meta{Name: "db"}, "sql", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inProgress.Abort()
	dir := filepath.Dir(older)
	mustWrite(t, filepath.Join(dir, tempPrefix+"db-x.sql.zst-123"), "partial")
	mustWrite(t, filepath.Join(dir, "db-20260101T050000Z.sql.zst"), "no sidecars")
	mustWrite(t, filepath.Join(dir, "db-20260101T060000Z.sql.zst.sha256"), "orphan")

	archives, err := List(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range archives {
		got = append(got, a.Path)
	}
	if want := []string{older, other, newer}; !slices.Equal(got, want) {
		t.Errorf("List = %v\nwant %v (oldest first, nothing else)", got, want)
	}
	if archives, err := List(context.Background(), filepath.Join(root, "nothing-here")); err != nil || len(archives) != 0 {
		t.Errorf("List of a missing directory = %v, %v", archives, err)
	}
}

func TestListReportsUnreadableMetadata(t *testing.T) {
	root := t.TempDir()
	path, _ := writeArchive(t, root, "db", time.Time{}, []byte("x"), Options{})
	mustWrite(t, path+MetaExt, `{"format": 1, "name": "db"}`)
	if _, err := List(context.Background(), root); err == nil {
		t.Fatal("List accepted metadata without a checksum or date")
	}
}

func TestCleanupRemovesOnlyDeadWritersLeftovers(t *testing.T) {
	root := t.TempDir()
	kept, _ := writeArchive(t, root, "db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), []byte("kept"), Options{})
	dir := filepath.Dir(kept)
	deadTemp := filepath.Join(dir, tempPrefix+"db-20260101T010000Z.sql.zst-1")
	orphanSum := filepath.Join(dir, "db-20260101T020000Z.sql.zst.sha256")
	orphanMeta := filepath.Join(dir, "db-20260101T020000Z.sql.zst.json")
	for _, p := range []string{deadTemp, orphanSum, orphanMeta} {
		mustWrite(t, p, "leftover")
	}
	// A live writer in another day's directory, with sidecars already in place (the
	// moment just before its archive's rename): none of it may go.
	live, err := Create(root, Meta{Name: "db", Created: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, "sql", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	liveDir := filepath.Dir(live.Path())
	liveSum := filepath.Join(liveDir, "db-20260102T000000Z.sql.zst.sha256")
	mustWrite(t, liveSum, "being committed")

	cleaned, err := Cleanup(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	removed := cleaned.Removed
	slices.Sort(removed)
	want := []string{deadTemp, orphanMeta, orphanSum}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("Cleanup removed %v\nwant %v", removed, want)
	}
	for _, p := range []string{kept, kept + ChecksumExt, kept + MetaExt, live.Path(), liveSum} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Cleanup removed %s: %v", p, err)
		}
	}
	if _, err := Verify(context.Background(), kept); err != nil {
		t.Error(err)
	}

	// Once the writer is gone (here: aborted), its leftovers go too.
	live.Abort()
	if _, err := Cleanup(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(liveSum); !os.IsNotExist(err) {
		t.Errorf("orphan sidecar of a finished writer survived: %v", err)
	}
}

func TestCleanupOfMissingRoot(t *testing.T) {
	cleaned, err := Cleanup(context.Background(), filepath.Join(t.TempDir(), "none"))
	if err != nil || len(cleaned.Removed) != 0 {
		t.Errorf("Cleanup = %v, %v", cleaned, err)
	}
}

func TestCreateSurvivesCleanup(t *testing.T) {
	// A writer's temp file is locked from its creation on: Cleanup never takes it.
	root := t.TempDir()
	for i := 0; i < 20; i++ {
		p, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: None})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Cleanup(context.Background(), root); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write([]byte("dump")); err != nil {
			t.Fatal(err)
		}
		path, _, err := p.Commit()
		if err != nil {
			t.Fatalf("Commit after a Cleanup: %v", err)
		}
		if _, err := Verify(context.Background(), path); err != nil {
			t.Fatal(err)
		}
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
