package store

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Who may read archives. By default only their owner (the agent, root in the
// plugin): files 0600. With a reader group (Options.ReaderGroup, BT_ARCHIVE_GROUP)
// a shipper that runs as a non-root member of it reads them: the archive and its
// sidecars are 0640 in the group, and each directory from the root down is put
// in the group with g+rx added (nothing is taken away, nothing given to others).

// readerMode is the mode of archive files shared with a reader group.
const readerMode = 0o640

// access applies a reader group to what the store writes; gid 0: none.
type access struct{ gid int }

// file gives a new file, before anything is written to it, to the group.
func (a access) file(f *os.File) error {
	if a.gid == 0 {
		return nil
	}
	if err := f.Chown(-1, a.gid); err != nil {
		return fmt.Errorf("give %s to the reader group %d: %w", f.Name(), a.gid, err)
	}
	if err := f.Chmod(readerMode); err != nil {
		return fmt.Errorf("let the reader group %d read %s: %w", a.gid, f.Name(), err)
	}
	return nil
}

// dir puts the directory d in the group and lets the group in (g+rx).
func (a access) dir(d *dirHandle) error {
	if a.gid == 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: d.path, Err: err}
	}
	if int(st.Gid) != a.gid {
		if err := unix.Fchown(d.fd, -1, a.gid); err != nil {
			return fmt.Errorf("give %s to the reader group %d: %w", d.path, a.gid, err)
		}
	}
	if perm := st.Mode & 0o7777; perm&0o050 != 0o050 {
		if err := unix.Fchmod(d.fd, perm|0o050); err != nil {
			return fmt.Errorf("let the reader group %d into %s: %w", a.gid, d.path, err)
		}
	}
	return nil
}

// dirs applies dir to each directory an archive goes into.
func (a access) dirs(d dayDirs) error {
	for _, h := range []*dirHandle{d.root, d.name, d.day} {
		if err := a.dir(h); err != nil {
			return err
		}
	}
	return nil
}

// accessOf is the access of the sidecars of the archive name in d: its group,
// when it is shared with one (for what Cleanup finishes of a commit).
func accessOf(d *dirHandle, name string) access {
	st, err := d.lstat(name)
	if err != nil || st.Mode&0o040 == 0 || st.Gid == 0 {
		return access{}
	}
	return access{gid: int(st.Gid)}
}
