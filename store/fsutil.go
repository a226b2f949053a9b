package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/atomicfile"
)

// createLockedTemp creates a temp file named prefix+random in d and takes an
// exclusive advisory lock on it, held until the file is closed or the process dies:
// it tells Cleanup that the file has a live writer. Cleanup removes unlocked temp
// files while holding their lock, so a file removed between our create and our lock
// is noticed here (its name no longer leads to it) and replaced.
func createLockedTemp(d *dirHandle, prefix string) (*os.File, string, error) {
	for attempt := 0; attempt < 5; attempt++ {
		name := prefix + randomSuffix()
		f, err := d.createExclusive(name)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			_ = f.Close()
			_ = d.remove(name)
			return nil, "", fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if d.sameFile(name, f) {
			return f, name, nil
		}
		_ = f.Close()
	}
	return nil, "", fmt.Errorf("temp files in %s keep disappearing: is another cleanup running wild?", d.path)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// removeIfUnlocked removes the temp file name in d unless a live writer holds its
// lock. It holds the lock itself while removing, so no writer can start on it. Only
// a regular file is ever opened (a FIFO would block) or removed.
func removeIfUnlocked(d *dirHandle, name string) (removed bool, err error) {
	f, err := d.openRegular(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if !d.sameFile(name, f) {
		return false, nil // replaced since we opened it: not the file we locked
	}
	if err := d.remove(name); err != nil {
		return false, err
	}
	return true, nil
}

// isLocked reports whether a live writer holds the lock on the regular file name
// in d: a temp file being written, or an archive whose commit is under way.
func isLocked(d *dirHandle, name string) bool {
	f, err := d.openRegular(name)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// hasLiveWriter reports whether a locked temp file is in d: a writer at work, whose
// .json may already be in place while its archive is not yet renamed.
func hasLiveWriter(d *dirHandle) bool {
	names, err := d.names()
	if err != nil {
		return true // cannot tell: assume the worst, remove nothing
	}
	for _, n := range names {
		if strings.HasPrefix(n, tempPrefix) && isLocked(d, n) {
			return true
		}
	}
	return false
}

// writeFileAtomic writes data to the new file name in d through a locked temp file,
// without ever replacing an existing name (os.ErrExist then); acc says who may
// read it.
func writeFileAtomic(d *dirHandle, name string, data []byte, acc access) error {
	tmp, tmpName, err := createLockedTemp(d, tempPrefix+name+"-")
	if err != nil {
		return err
	}
	defer tmp.Close()
	err = acc.file(tmp)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = d.renameNoReplace(tmpName, name)
	}
	if err != nil {
		_ = d.remove(tmpName)
	}
	return err
}

// freeBytes returns the space an unprivileged writer can still use on the
// filesystem of the open file descriptor fd.
func freeBytes(fd int) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// mkdirDurable creates the directory root and any missing parents (the root is the
// caller's path: links in it are followed), and syncs each new directory's parent
// so the new entries survive a power cut along with what goes into them.
func mkdirDurable(root string) error {
	var missing []string
	for d := filepath.Clean(root); ; d = filepath.Dir(d) {
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
