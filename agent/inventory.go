package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/store"
)

// inventoryTTL bounds how often the destinations are walked: /status, the
// dashboard and every Prometheus scrape read the inventory; listing reads every
// archive's metadata. A finished backup invalidates it at once.
const inventoryTTL = 15 * time.Second

// inventoryWait is the longest a reader waits for a listing in progress before
// it takes the last complete one: a destination that anyone may write can hold a
// file that blocks whoever opens it, and the listing must not hold a request.
const inventoryWait = 3 * time.Second

// inventory counts the archives and free space of every destination, cached. It is
// an Observer so a finished backup (a new archive, a retention) refreshes it.
//
// No lock is held across a walk: one listing runs at a time, in its own
// goroutine; readers wait for it at most inventoryWait (or their deadline), then
// take the last complete listing, with a note on each destination that the
// current one has not finished.
type inventory struct {
	dests Destinations
	log   *logrus.Entry

	mu      sync.Mutex
	at      time.Time // when the last complete listing began; zero: stale
	stats   []DestinationStatus
	perName map[string]nameTotals
	gen     uint64        // bumped by BackupFinished: a listing begun before it is stale when it ends
	running chan struct{} // closed when the listing in progress ends; nil when none runs
	began   time.Time     // when the listing in progress began
	warned  bool          // the listing in progress was logged as slow
}

type nameTotals struct {
	count  int
	bytes  int64
	recent []store.Archive // the newest few, newest first (verify_status.go)
}

var _ Observer = (*inventory)(nil)

func newInventory(d Destinations, log *logrus.Entry) *inventory {
	return &inventory{dests: d, log: log}
}

// BackupStarted implements Observer.
func (*inventory) BackupStarted(Attempt) {}

// BackupFinished implements Observer: the next read lists again.
func (inv *inventory) BackupFinished(Attempt) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.at = time.Time{}
	inv.gen++
}

// get returns the destinations' stats, listing them when the cache is stale.
func (inv *inventory) get(ctx context.Context) []DestinationStatus {
	stats, _ := inv.read(ctx)
	return stats
}

// byName returns the archives per backup name over every destination.
func (inv *inventory) byName(ctx context.Context) map[string]nameTotals {
	_, perName := inv.read(ctx)
	return perName
}

// read returns the latest listing: a fresh one, or the one in progress if it ends
// within inventoryWait and ctx, else the last complete one, marked as such.
func (inv *inventory) read(ctx context.Context) ([]DestinationStatus, map[string]nameTotals) {
	inv.mu.Lock()
	if inv.at.IsZero() || time.Since(inv.at) >= inventoryTTL {
		inv.start(ctx)
	}
	running := inv.running
	inv.mu.Unlock()
	if running != nil {
		wait := time.NewTimer(inventoryWait)
		defer wait.Stop()
		select {
		case <-running:
		case <-wait.C:
		case <-ctx.Done():
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	stats := append([]DestinationStatus(nil), inv.stats...)
	if inv.running != nil {
		stats = inv.unfinished(stats)
	}
	return stats, inv.perName
}

// start begins a listing unless one runs (inv.mu held). The listing outlives the
// request that started it: it serves the next ones too.
func (inv *inventory) start(ctx context.Context) {
	if inv.running != nil {
		return
	}
	done := make(chan struct{})
	inv.running, inv.began, inv.warned = done, time.Now(), false
	gen := inv.gen
	go func() {
		defer close(done)
		began := time.Now()
		stats, perName := list(context.WithoutCancel(ctx), inv.dests)
		inv.mu.Lock()
		defer inv.mu.Unlock()
		inv.stats, inv.perName, inv.running = stats, perName, nil
		if gen == inv.gen {
			inv.at = began
		}
	}()
}

// unfinished notes on stats that a listing has run for a while (inv.mu held).
func (inv *inventory) unfinished(stats []DestinationStatus) []DestinationStatus {
	age := time.Since(inv.began).Round(time.Second)
	note := fmt.Sprintf("listing the archives has not finished after %s (a file that blocks reads?)", age)
	if len(stats) == 0 {
		return []DestinationStatus{{Error: note + "; no complete listing yet"}}
	}
	for i := range stats {
		if stats[i].Error == "" {
			stats[i].Error = note + "; these figures are from the last complete listing"
		}
	}
	if inv.log != nil && age > time.Minute && !inv.warned {
		inv.warned = true
		inv.log.Warn(note)
	}
	return stats
}

// list walks every destination, holding no lock.
func list(ctx context.Context, dests Destinations) ([]DestinationStatus, map[string]nameTotals) {
	stats := []DestinationStatus{}
	perName := map[string]nameTotals{}
	rctx, cancel := context.WithTimeout(ctx, healthTimeout)
	roots, err := dests.Roots(rctx)
	cancel()
	if err != nil {
		stats = append(stats, DestinationStatus{Error: "cannot list the backup destinations: " + err.Error()})
	}
	for _, root := range roots {
		stats = append(stats, describeRoot(ctx, root, perName))
	}
	return stats, perName
}

// describeRoot lists one destination's archives and its file system's space,
// adding its archives to perName.
func describeRoot(ctx context.Context, root string, perName map[string]nameTotals) DestinationStatus {
	d := DestinationStatus{Root: root}
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		d.Error = "statfs: " + err.Error()
		return d
	}
	d.FreeBytes = fs.Bavail * uint64(fs.Bsize)
	d.TotalBytes = fs.Blocks * uint64(fs.Bsize)
	archives, err := store.List(ctx, root)
	if err != nil {
		d.Error = err.Error()
	}
	names := map[string]bool{}
	for _, a := range archives {
		d.Archives++
		d.ArchiveBytes += a.Meta.Size
		names[a.Meta.Name] = true
		if a.Meta.Created.After(d.Newest) {
			d.Newest = a.Meta.Created
		}
		t := perName[a.Meta.Name]
		t.count++
		t.bytes += a.Meta.Size
		t.recent = keepNewest(t.recent, a)
		perName[a.Meta.Name] = t
	}
	d.Names = len(names)
	return d
}
