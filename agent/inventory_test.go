package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// plantFIFO puts a FIFO where a complete archive's metadata sidecar goes, so
// whoever opens it waits for a writer; the returned func lets the opener go.
func plantFIFO(t *testing.T, root string) (release func()) {
	t.Helper()
	day := filepath.Join(root, "planted", "2024-01-01")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(day, "planted-20240101-000000.sql.zst")
	for _, f := range []string{archive, archive + ".sha256"} {
		if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(archive+".json", 0o600); err != nil {
		t.Fatal(err)
	}
	return func() {
		if f, err := os.OpenFile(archive+".json", os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// A listing that blocks holds no reader past inventoryWait, and no lock: readers
// get the last complete listing (or none) with a note, and one listing runs at a time.
func TestInventoryNeverWaitsOnABlockedListing(t *testing.T) {
	root := t.TempDir()
	inv := newInventory(Directory{Dir: root}, nil)
	if stats := inv.get(context.Background()); len(stats) != 1 || stats[0].Error != "" {
		t.Fatalf("empty destination: %+v", stats)
	}
	release := plantFIFO(t, root)
	defer release()
	inv.BackupFinished(Attempt{}) // a new archive: list again
	for i := range 2 {
		got := make(chan []DestinationStatus, 1)
		go func() { got <- inv.get(context.Background()) }()
		select {
		case stats := <-got:
			if len(stats) != 1 || !strings.Contains(stats[0].Error, "has not finished") {
				t.Errorf("read %d during a blocked listing: %+v, want the last listing with a note", i, stats)
			}
		case <-time.After(inventoryWait + 10*time.Second):
			t.Fatalf("read %d waited on the blocked listing", i)
		}
	}
	// Once the blocking file lets go, the next reads see a fresh listing.
	release()
	deadline := time.Now().Add(30 * time.Second)
	for {
		stats := inv.get(context.Background())
		if len(stats) == 1 && !strings.Contains(stats[0].Error, "has not finished") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listing never finished after the FIFO let go: %+v", stats)
		}
		inv.BackupFinished(Attempt{})
		time.Sleep(50 * time.Millisecond)
	}
}
