package drill

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// commitArchive commits a small archive of name under root.
func commitArchive(t *testing.T, root, dump string) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: "shop", Engine: "postgres", Created: time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)}, "sql", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte(dump)); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// With a root, a test-restore's archive is reached through real directories
// only: a <date> swapped for a link to a forged tree is refused, naming it.
func TestOpenBelowRefusesALinkedDirectory(t *testing.T) {
	root := t.TempDir()
	path := commitArchive(t, root, "-- the real dump\n")
	forged := commitArchive(t, t.TempDir(), "-- forged\n")
	src, err := OpenBelow(t.Context(), root, path, Keys{})
	if err != nil {
		t.Fatalf("as committed: %v", err)
	}
	src.Dump.Close()
	day := filepath.Dir(path)
	if err := errors.Join(os.RemoveAll(day), os.Symlink(filepath.Dir(forged), day)); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBelow(t.Context(), root, path, Keys{}); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("through a link: %v; want it refused", err)
	}
}
