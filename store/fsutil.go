package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/atomicfile"
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

// createLockedTemp creates a temp file in dir and takes an exclusive advisory lock
// on it, held until the file is closed or the process dies: it tells Cleanup that
// the file has a live writer. Cleanup removes unlocked temp files while holding
// their lock, so a file removed between our create and our lock is noticed here
// (its name no longer leads to it) and replaced.
func createLockedTemp(dir, pattern string) (*os.File, error) {
	for attempt := 0; attempt < 5; attempt++ {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if stillNamed(f) {
			return f, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("temp files in %s keep disappearing: is another cleanup running wild?", dir)
}

// stillNamed reports whether f's name still leads to f.
func stillNamed(f *os.File) bool {
	held, err1 := f.Stat()
	named, err2 := os.Stat(f.Name())
	return err1 == nil && err2 == nil && os.SameFile(held, named)
}

// removeIfUnlocked removes the temp file at path unless a live writer holds its
// lock. It holds the lock itself while removing, so no writer can start on it.
func removeIfUnlocked(path string) (removed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// isLocked reports whether a live writer holds the lock on the file at path.
func isLocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// writeFileAtomic writes data to path through a locked temp file in the same
// directory, without ever replacing an existing path.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	tmp, err := createLockedTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return err
	}
	defer tmp.Close()
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

// mkdirDurable creates dir and any missing parents, and syncs each new directory's
// parent so the new entries survive a power cut along with what goes into them.
func mkdirDurable(dir string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o750); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := atomicfile.SyncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}
