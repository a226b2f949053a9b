package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// renameNoReplace moves oldPath to newPath atomically, failing with an error
// satisfying errors.Is(err, os.ErrExist) rather than overwriting anything.
func renameNoReplace(oldPath, newPath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldPath, unix.AT_FDCWD, newPath, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// The filesystem lacks RENAME_NOREPLACE: a hard link is just as atomic and
		// just as unwilling to overwrite.
		if err = os.Link(oldPath, newPath); err == nil {
			return os.Remove(oldPath)
		}
	}
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s: %w", newPath, os.ErrExist)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldPath, New: newPath, Err: err}
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// lockFile takes an exclusive advisory lock on f, released when f is closed or the
// process dies: it tells cleanup that a temp file still has a live writer.
func lockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}

// isLocked reports whether another open file description holds a lock on path.
func isLocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if lockFile(f) != nil {
		return true
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}

// writeFileAtomic writes data to path through a locked temp file in the same
// directory, without ever replacing an existing path.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return err
	}
	defer tmp.Close()
	if err := lockFile(tmp); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("lock %s: %w", tmp.Name(), err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = renameNoReplace(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
