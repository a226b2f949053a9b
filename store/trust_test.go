package store

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// rewriteMeta edits an archive's .json sidecar in place.
func rewriteMeta(t *testing.T, archive string, edit func(m *Meta)) {
	t.Helper()
	m, err := ReadMetaFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	edit(&m)
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive+MetaExt, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// moveArchive moves an archive and its sidecars into dir, keeping their names.
func moveArchive(t *testing.T, archive, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, filepath.Base(archive))
	for _, ext := range []string{"", ChecksumExt, MetaExt} {
		if err := os.Rename(archive+ext, to+ext); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// An archive's time comes from what baktainer wrote: its file name, its date
// directory and its metadata must agree, and it may not lie in the future. An
// archive that fails any of this, or whose metadata cannot be read, is reported by
// itself; the others are still listed.
func TestListReportsUntrustedArchivesAndGoesOn(t *testing.T) {
	root := t.TempDir()
	base := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	at := func(days int) time.Time { return base.Add(time.Duration(days) * 24 * time.Hour) }
	good1, _ := writeArchive(t, root, "db", at(0), []byte("one"), Options{})
	good2, _ := writeArchive(t, root, "db", at(1), []byte("two"), Options{})

	garbage, _ := writeArchive(t, root, "db", at(2), []byte("three"), Options{})
	mustWrite(t, garbage+MetaExt, "garbage, not json")
	future, _ := writeArchive(t, root, "db", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), []byte("planted"), Options{})
	otherName, _ := writeArchive(t, root, "db", at(3), []byte("four"), Options{})
	rewriteMeta(t, otherName, func(m *Meta) { m.Name = "other" })
	otherTime, _ := writeArchive(t, root, "db", at(4), []byte("five"), Options{})
	rewriteMeta(t, otherTime, func(m *Meta) { m.Created = m.Created.Add(time.Hour) })
	moved, _ := writeArchive(t, root, "db", at(5), []byte("six"), Options{})
	moved = moveArchive(t, moved, filepath.Join(root, "db", at(7).Format(dayLayout)))
	untrusted := []string{garbage, future, otherName, otherTime, moved}

	archives, err := List(context.Background(), root)
	var got []string
	for _, a := range archives {
		got = append(got, a.Path)
	}
	if want := []string{good1, good2}; !slices.Equal(got, want) {
		t.Errorf("List = %v\nwant %v", got, want)
	}
	if err == nil {
		t.Fatal("List reported no problem")
	}
	for _, p := range untrusted {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("List's report does not name %s:\n%v", p, err)
		}
	}
}

// A planted archive dated 2099, with sidecars that match it, is no "newest": prune
// with count 1 keeps the real newest archive, and leaves the planted one alone.
func TestPruneIgnoresAPlantedFutureArchive(t *testing.T) {
	root := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	var real []string
	for i := 2; i >= 0; i-- {
		p, _ := writeArchive(t, root, "db", now.Add(-time.Duration(i)*time.Hour), []byte("dump"), Options{})
		real = append(real, p)
	}
	planted, _ := writeArchive(t, root, "db", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), []byte("planted"), Options{})
	before := snapshot(t, filepath.Dir(planted))

	_, _ = Prune(context.Background(), root, "db", Policy{MaxCount: 1}, now, PruneOptions{})
	if _, err := Verify(context.Background(), real[2]); err != nil {
		t.Errorf("prune removed the real newest archive: %v", err)
	}
	for _, p := range real[:2] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is beyond the newest 1 but stays: %v", p, err)
		}
	}
	if after := snapshot(t, filepath.Dir(planted)); !mapsEqual(before, after) {
		t.Errorf("prune touched the planted archive")
	}
}

// The archive the caller has just committed is never removed by its own prune,
// whatever else the directory holds.
func TestPruneNeverRemovesTheArchiveJustCommitted(t *testing.T) {
	root := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	committed, _ := writeArchive(t, root, "db", now.Add(-time.Minute), []byte("mine"), Options{})
	writeArchive(t, root, "db", now, []byte("newer"), Options{}) // e.g. another writer's, or a clock step
	for _, p := range []Policy{{MaxCount: 1}, {MaxAge: time.Second}, {KeepDaily: 1}, {MinFreeBytes: 1 << 62}} {
		if _, err := Prune(context.Background(), root, "db", p, now, PruneOptions{Verified: committed}); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(context.Background(), committed); err != nil {
			t.Fatalf("policy %s removed the archive just committed: %v", p, err)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// An empty .zst or .gz (or one cut short) is damaged, as `zstd -d` and `gzip -d` say.
func TestOpenRejectsEmptyAndTruncatedStreams(t *testing.T) {
	root := t.TempDir()
	for _, comp := range []Compression{Zstd, Gzip} {
		good, _ := writeArchive(t, root, "db", time.Time{}, sampleDump(t, 64<<10), Options{Compression: comp})
		raw, err := os.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{0, 1, len(raw) / 2, len(raw) - 1} {
			path := filepath.Join(t.TempDir(), "db-20260101T000000Z.sql"+comp.Extension())
			if err := os.WriteFile(path, raw[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err == nil {
				var out bytes.Buffer
				_, err = out.ReadFrom(r)
				_ = r.Close()
			}
			if err == nil {
				t.Errorf("%s cut to %d of %d bytes opens without an error", comp, cut, len(raw))
			}
		}
	}
}
