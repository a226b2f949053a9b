package agent

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// The free-space floor (issue 11.4): a backup's write stops, and its partial
// file goes, rather than leave less free space than the floor on its file
// system (store.Options.MinFreeBytes), so a dump that never ends cannot fill a
// disk that other volumes and the host share. The floor is BT_FREE_SPACE_FLOOR,
// or the destination's own (a backup volume's free-space-floor option),
// measured against the destination's file system when it is a share of it.

// freeSpaceFloor is the floor of an archive written to d, in bytes.
func (a *Agent) freeSpaceFloor(d Destination) uint64 {
	floor := a.cfg.FreeSpaceFloor
	if d.FreeSpaceFloor != nil {
		floor = *d.FreeSpaceFloor
	}
	return FloorBytes(floor, d.Root)
}

// FloorBytes is floor in bytes for archives written under root: a share is of
// the file system root is on (or will be on: its nearest existing parent's).
func FloorBytes(floor parse.Floor, root string) uint64 {
	if floor.Percent == 0 {
		return floor.Bytes
	}
	for dir := filepath.Clean(root); ; dir = filepath.Dir(dir) {
		var st unix.Statfs_t
		err := unix.Statfs(dir, &st)
		if err == nil {
			return floor.Of(st.Blocks * uint64(st.Bsize))
		}
		if !errors.Is(err, unix.ENOENT) || dir == filepath.Dir(dir) {
			return floor.Bytes // the store's own free-space check reports the file system's trouble
		}
	}
}

// explainFloor says which setting set the floor a write stopped at.
func explainFloor(err error, d Destination) error {
	from := "BT_FREE_SPACE_FLOOR"
	if d.FreeSpaceFloor != nil {
		from = "the backup volume's free-space-floor option"
	}
	return ExplainFloor(err, from)
}

// ExplainFloor adds to a write stopped at the floor (store.ErrLowSpace) which
// setting, from, set it; other errors are returned as they are.
func ExplainFloor(err error, from string) error {
	if !errors.Is(err, store.ErrLowSpace) {
		return err
	}
	return fmt.Errorf("%w (the floor is %s; make room, or lower it)", err, from)
}
