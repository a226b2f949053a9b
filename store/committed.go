package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Committed is a committed archive opened for reading, with its two sidecars
// as stored.
type Committed struct {
	Archive  *os.File
	Meta     []byte // the .json sidecar
	Checksum []byte // the .sha256 sidecar
}

// OpenCommitted opens the archive at path, <root>/<name>/<date>/<file>, and
// reads its sidecars, each capped at sidecarLimit bytes. Below root nothing is
// reached through a link: <name> and <date> are opened one at a time relative
// to the directory above, and only regular files are opened, so a consumer that
// can write to the volume cannot redirect the read to a tree it forged by
// swapping a directory for a link. root itself is taken as given. The caller
// closes Archive.
func OpenCommitted(path string, sidecarLimit int64) (c Committed, err error) {
	day := filepath.Dir(path)
	dayDir, err := openDirBelow(filepath.Dir(filepath.Dir(day)), day)
	if err != nil {
		return c, err
	}
	defer dayDir.close()
	base := filepath.Base(path)
	if c.Meta, err = dayDir.readCapped(base+MetaExt, sidecarLimit); err != nil {
		return c, err
	}
	if c.Checksum, err = dayDir.readCapped(base+ChecksumExt, sidecarLimit); err != nil {
		return c, err
	}
	c.Archive, err = dayDir.openRegular(base)
	return c, err
}

// readCapped reads the regular file name in d whole; more than limit bytes is
// an error.
func (d *dirHandle) readCapped(name string, limit int64) ([]byte, error) {
	f, err := d.openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f, d.join(name), limit)
}

// openDirBelow opens dir, a directory below root, one component at a time from
// root without following a link; root itself is opened as given.
func openDirBelow(root, dir string) (*dirHandle, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s is not below %s", dir, root)
	}
	d, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return d, nil
	}
	for _, name := range strings.Split(rel, "/") {
		next, err := d.child(name)
		d.close()
		if err != nil {
			return nil, err
		}
		d = next
	}
	return d, nil
}
