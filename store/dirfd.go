package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A store root is shared with whatever can write to it (a backup volume is mounted
// by containers), so nothing below the root is resolved through a link: every name
// is opened one component at a time relative to an open directory, with O_NOFOLLOW.
// Go's os.Root is not enough: it follows links that stay inside the root (so
// <name>/<today> could be pointed at another name's directory), and its Rename
// replaces an existing file.

// ErrRefused wraps every refusal of a path that is not a plain directory or a
// regular file where one is expected: a link, a FIFO, a device or a socket.
var ErrRefused = errors.New("store: refused")

// dirHandle is an open directory; names below it never follow links.
type dirHandle struct {
	fd   int
	path string // for messages only: what the directory was opened as
}

// openRoot opens the directory at path. Links in path itself are followed: the
// root is the caller's choice (BT_BACKUP_DIR, a volume's directory); nothing below
// it is.
func openRoot(path string) (*dirHandle, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &dirHandle{fd: fd, path: path}, nil
}

func (d *dirHandle) close() { _ = unix.Close(d.fd) }

// join names an entry of d for messages.
func (d *dirHandle) join(name string) string { return filepath.Join(d.path, name) }

// checkComponent accepts one plain file name: no separator, not "." or "..".
func checkComponent(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.ContainsRune(name, 0) {
		return fmt.Errorf("store: %q is not a plain file name", name)
	}
	return nil
}

// refused explains why the entry name of d is not what was expected.
func (d *dirHandle) refused(name, want string) error {
	kind := "missing"
	if st, err := d.lstat(name); err == nil {
		kind = fileKind(st.Mode)
	}
	return fmt.Errorf("%w: %s is a %s, not a %s (links and special files are never followed or opened)", ErrRefused, d.join(name), kind, want)
}

// fileKind names a file type for messages.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symbolic link"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "device"
	}
	return "file of unknown type"
}

// child opens the directory name in d, refusing a link or anything else.
func (d *dirHandle) child(name string) (*dirHandle, error) {
	if err := checkComponent(name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR):
		return nil, d.refused(name, "directory")
	case err != nil:
		return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: err}
	}
	return &dirHandle{fd: fd, path: d.join(name)}, nil
}

// mkChild opens the directory name in d, creating it (durably: d is synced) when
// it is missing.
func (d *dirHandle) mkChild(name string) (*dirHandle, error) {
	if err := checkComponent(name); err != nil {
		return nil, err
	}
	err := unix.Mkdirat(d.fd, name, 0o750)
	switch {
	case err == nil:
		if err := d.sync(); err != nil {
			return nil, err
		}
	case !errors.Is(err, unix.EEXIST):
		return nil, &fs.PathError{Op: "mkdir", Path: d.join(name), Err: err}
	}
	return d.child(name)
}

// openRegular opens the regular file name in d for reading. It never follows a link
// and never blocks: a FIFO or a device is refused before anything reads from it.
func (d *dirHandle) openRegular(name string) (*os.File, error) {
	if err := checkComponent(name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, d.refused(name, "regular file")
	case err != nil:
		return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: d.join(name), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("%w: %s is a %s, not a regular file", ErrRefused, d.join(name), fileKind(st.Mode))
	}
	return os.NewFile(uintptr(fd), d.join(name)), nil
}

// lstat describes the entry name of d without following it.
func (d *dirHandle) lstat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := checkComponent(name); err != nil {
		return st, err
	}
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return st, &fs.PathError{Op: "lstat", Path: d.join(name), Err: err}
	}
	return st, nil
}

// isRegular reports whether name in d is a regular file (not a link to one).
func (d *dirHandle) isRegular(name string) bool {
	st, err := d.lstat(name)
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

// exists reports whether d has an entry name of any kind.
func (d *dirHandle) exists(name string) bool {
	_, err := d.lstat(name)
	return err == nil
}

// names returns the names of d's entries, unsorted.
func (d *dirHandle) names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("store: read directory %s: %w", d.path, err)
	}
	return names, nil
}

// createExclusive creates the new regular file name in d for writing, mode 0600.
func (d *dirHandle) createExclusive(name string) (*os.File, error) {
	if err := checkComponent(name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: d.join(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.join(name)), nil
}

// renameNoReplace moves oldName to newName within d atomically, failing with an
// error satisfying errors.Is(err, os.ErrExist) rather than replacing anything.
func (d *dirHandle) renameNoReplace(oldName, newName string) error {
	if err := errors.Join(checkComponent(oldName), checkComponent(newName)); err != nil {
		return err
	}
	err := unix.Renameat2(d.fd, oldName, d.fd, newName, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// The filesystem lacks RENAME_NOREPLACE: a hard link is just as atomic and
		// just as unwilling to replace.
		if err = unix.Linkat(d.fd, oldName, d.fd, newName, 0); err == nil {
			return d.remove(oldName)
		}
	}
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s: %w", d.join(newName), os.ErrExist)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.join(oldName), New: d.join(newName), Err: err}
	}
	return nil
}

// remove unlinks the file name in d (a link itself, never its target). A missing
// file is no error.
func (d *dirHandle) remove(name string) error {
	if err := checkComponent(name); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &fs.PathError{Op: "remove", Path: d.join(name), Err: err}
	}
	return nil
}

// removeEmptyDir removes the directory name in d if it is empty, and reports
// whether it did; a directory that holds anything stays.
func (d *dirHandle) removeEmptyDir(name string) bool {
	if checkComponent(name) != nil {
		return false
	}
	return unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR) == nil
}

// sync makes d's entries durable.
func (d *dirHandle) sync() error {
	if err := unix.Fsync(d.fd); err != nil {
		return &fs.PathError{Op: "sync", Path: d.path, Err: err}
	}
	return nil
}

// sameFile reports whether name in d is still the file f.
func (d *dirHandle) sameFile(name string, f *os.File) bool {
	named, err := d.lstat(name)
	var held unix.Stat_t
	return err == nil && unix.Fstat(int(f.Fd()), &held) == nil && named.Dev == held.Dev && named.Ino == held.Ino
}
