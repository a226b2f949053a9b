package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestListAndVerifyChecksumStopWithTheirContext (issue 10): List and
// VerifyChecksum take a context like every other call that reads a tree or a
// whole archive, and give up once it has ended.
func TestListAndVerifyChecksumStopWithTheirContext(t *testing.T) {
	root := t.TempDir()
	path, _ := writeArchive(t, root, "db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), []byte("one"), Options{})
	if archives, err := List(context.Background(), root); err != nil || len(archives) != 1 {
		t.Fatalf("List = %v, %v; want the one archive", archives, err)
	}
	if err := VerifyChecksum(context.Background(), path); err != nil {
		t.Fatalf("VerifyChecksum: %v", err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := List(ended, root); !errors.Is(err, context.Canceled) {
		t.Errorf("List with an ended context = %v, want context.Canceled", err)
	}
	if err := VerifyChecksum(ended, path); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyChecksum with an ended context = %v, want context.Canceled", err)
	}
}
