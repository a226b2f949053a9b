package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLowSpace means a write stopped at the destination's free-space floor
// (Options.MinFreeBytes).
var ErrLowSpace = errors.New("store: free space below the floor")

// floorCheckEvery is how many bytes may be written between two checks of the free
// space: the floor may be undershot by this much (plus the write buffer) at most.
// An fstatfs costs about a microsecond: at 1 GiB/s this is a thousand a second.
const floorCheckEvery = 1 << 20

// floorWriter writes to the archive's temp file and fails once the filesystem's
// free space is below min. min 0: no floor.
type floorWriter struct {
	f          *os.File
	min        uint64
	sinceCheck int64
}

func (w *floorWriter) Write(b []byte) (int, error) {
	if w.min > 0 && w.sinceCheck >= floorCheckEvery {
		if err := w.check(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(b)
	w.sinceCheck += int64(n)
	return n, err
}

// check compares the free space with the floor now.
func (w *floorWriter) check() error {
	if w.min == 0 {
		return nil
	}
	w.sinceCheck = 0
	free, err := freeBytes(int(w.f.Fd()))
	if err != nil {
		return fmt.Errorf("store: free space of %s: %w", w.f.Name(), err)
	}
	if free < w.min {
		return fmt.Errorf("%w: %s (%d bytes) free on the filesystem of %s, below the floor of %s (%d bytes): the write stopped so the filesystem keeps room for everything else",
			ErrLowSpace, formatBytes(free), free, filepath.Dir(w.f.Name()), formatBytes(w.min), w.min)
	}
	return nil
}
