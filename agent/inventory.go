package agent

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/store"
)

// inventoryTTL bounds how often the destinations are walked: /status, the
// dashboard and every Prometheus scrape read the inventory; listing reads every
// archive's metadata. A finished backup invalidates it at once.
const inventoryTTL = 15 * time.Second

// inventory counts the archives and free space of every destination, cached. It is
// an Observer so a finished backup (a new archive, a retention) refreshes it.
type inventory struct {
	dests Destinations

	mu      sync.Mutex
	at      time.Time
	stats   []DestinationStatus
	perName map[string]nameTotals
}

type nameTotals struct {
	count int
	bytes int64
}

var _ Observer = (*inventory)(nil)

func newInventory(d Destinations) *inventory { return &inventory{dests: d} }

// BackupStarted implements Observer.
func (*inventory) BackupStarted(Attempt) {}

// BackupFinished implements Observer: the next read lists again.
func (inv *inventory) BackupFinished(Attempt) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.at = time.Time{}
}

// get returns the destinations' stats, listing them when the cache is stale.
func (inv *inventory) get(ctx context.Context) []DestinationStatus {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.refresh(ctx)
	return append([]DestinationStatus(nil), inv.stats...)
}

// byName returns the archives per backup name over every destination.
func (inv *inventory) byName(ctx context.Context) map[string]nameTotals {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.refresh(ctx)
	return inv.perName
}

func (inv *inventory) refresh(ctx context.Context) {
	if !inv.at.IsZero() && time.Since(inv.at) < inventoryTTL {
		return
	}
	stats := []DestinationStatus{}
	perName := map[string]nameTotals{}
	roots, err := inv.dests.Roots(ctx)
	if err != nil {
		stats = append(stats, DestinationStatus{Error: "cannot list the backup destinations: " + err.Error()})
	}
	for _, root := range roots {
		stats = append(stats, describeRoot(root, perName))
	}
	inv.stats, inv.perName, inv.at = stats, perName, time.Now()
}

// describeRoot lists one destination's archives and its file system's space,
// adding its archives to perName.
func describeRoot(root string, perName map[string]nameTotals) DestinationStatus {
	d := DestinationStatus{Root: root}
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		d.Error = "statfs: " + err.Error()
		return d
	}
	d.FreeBytes = fs.Bavail * uint64(fs.Bsize)
	d.TotalBytes = fs.Blocks * uint64(fs.Bsize)
	archives, err := store.List(root)
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
		perName[a.Meta.Name] = t
	}
	d.Names = len(names)
	return d
}
