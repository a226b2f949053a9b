package store

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// What an archive being written shows to a reader that copies it while it grows
// (the off-host copy, offsite.Early): the file, opened again for reading, and how
// many of its bytes are final. The pipeline only appends: a byte in the file
// never changes after it was written, and Commit renames the same file.

// OpenWritten opens the archive's file again, read-only, for a reader that
// follows the write (with ReadAt, up to Written). Call it from the goroutine
// that writes, before Commit or Abort; the file stays readable after both.
func (p *Pending) OpenWritten() (*os.File, error) {
	if p.closed || p.released {
		return nil, fmt.Errorf("store: %s is no longer being written", p.Path())
	}
	f, err := p.dirs.day.openRegular(p.tmpName)
	if err != nil {
		return nil, fmt.Errorf("store: open %s for reading: %w", p.Path(), err)
	}
	held, errHeld := p.tmp.Stat()
	opened, errOpened := f.Stat()
	if errHeld != nil || errOpened != nil || !os.SameFile(held, opened) {
		f.Close()
		return nil, fmt.Errorf("store: %w: %s was replaced while it was written", ErrRefused, p.Path())
	}
	return f, nil
}

// Written returns how many bytes of the archive are in its file so far. They
// are final. It is safe to call from any goroutine.
func (p *Pending) Written() int64 { return p.flushed.Load() }

// Planned returns the backup's name, its time and the file name Commit gives
// the archive unless another archive took it meanwhile (then Commit adds a
// counter; see Commit).
func (p *Pending) Planned() (name string, created time.Time, file string) {
	return p.described.Name, p.described.Created, p.plannedBase(0)
}

// flushCounter counts the bytes that reached the file, for Written.
type flushCounter struct {
	w io.Writer
	n *atomic.Int64
}

func (c flushCounter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}
