package agent

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallingDestinations is a directory destination whose listing can be made to
// hang, as one on a stuck file system (or behind a FIFO an older store opened)
// would: the inventory must not make its readers wait for it.
type stallingDestinations struct {
	Directory
	stall   atomic.Bool
	release chan struct{}
}

func (s *stallingDestinations) Roots(ctx context.Context) ([]string, error) {
	if s.stall.Load() {
		<-s.release // ignores ctx, as a blocked system call would
	}
	return s.Directory.Roots(ctx)
}

// A listing that blocks holds no reader past inventoryWait, and no lock: readers
// get the last complete listing (or none) with a note, and one listing runs at a time.
func TestInventoryNeverWaitsOnABlockedListing(t *testing.T) {
	t.Parallel()
	dests := &stallingDestinations{Directory: Directory{Dir: t.TempDir()}, release: make(chan struct{})}
	inv := newInventory(dests, nil)
	if stats := inv.get(context.Background()); len(stats) != 1 || stats[0].Error != "" {
		t.Fatalf("empty destination: %+v", stats)
	}
	dests.stall.Store(true)
	var once sync.Once
	release := func() { once.Do(func() { dests.stall.Store(false); close(dests.release) }) }
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
	// Once the stuck listing lets go, the next reads see a fresh listing.
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
