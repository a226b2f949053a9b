// Package legacy reads the archives the Ruby Baktainer (jamez01/baktainer) wrote:
// it finds them in its layout, checks them against the .meta files it wrote beside
// them, opens them (its BAKT AES-256-GCM format, gzip), restores them through the
// engines, and migrates them into the store's format.
//
// Everything on a backup directory is treated as hostile: files are opened only
// when they are regular files (never through a symbolic link) inside the directory
// given, and .meta files are read with a cap.
package legacy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/baktainer/baktainer/parse"
)

// The Ruby tool's layout: <BT_BACKUP_DIR>/<YYYY-MM-DD>/<name>-<unix time>.sql, then
// .gz when compressed (the default), then .encrypted when encrypted, each with a
// .meta beside it. The day is the Ruby process's local date; the time is UTC.
const (
	sqlExt       = ".sql"
	gzipExt      = ".gz"
	encryptedExt = ".encrypted"
	dayLayout    = "2006-01-02"
)

// archiveName matches an archive's file name, as the Ruby tool's rotation did
// (exactly ten digits), with .encrypted added.
var archiveName = regexp.MustCompile(`^(.+)-([0-9]{10})\.sql(\.gz)?(\.encrypted)?$`)

// Archive is one archive the Ruby tool wrote.
type Archive struct {
	Path      string    // the file
	Day       string    // its day directory's name
	Name      string    // the backup's name: baktainer.name, else the container's name
	Created   time.Time // the Unix time in its name, UTC
	Gzip      bool      // .sql.gz
	Encrypted bool      // .encrypted: the BAKT format
	Size      int64
	// Meta is its .meta, nil when there is none. MetaErr says why a .meta that is
	// there could not be used; verification then fails.
	Meta    *Meta
	MetaErr error
}

// BackupName is the name the store files a's archives under: its Ruby-era name
// mapped as the baktainer.name label's value is (parse.MapBackupName), so that
// `"MyApp"-1752451200.sql.gz`, written for the label baktainer.name="MyApp" in
// docker-compose's list syntax, is MyApp, like the archives baktainer writes for
// the same label. Retention and migrate group archives by it.
func (a Archive) BackupName() string {
	name, _ := parse.MapBackupName(a.Name)
	return name
}

// Problem is something in a day directory that is not a usable archive.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) String() string { return p.Path + ": " + p.Err.Error() }

// ParseName reads an archive's file name: the backup's name, its time, and its
// layers. ok is false for any other name.
func ParseName(base string) (name string, created time.Time, gzip, encrypted, ok bool) {
	m := archiveName.FindStringSubmatch(base)
	if m == nil {
		return "", time.Time{}, false, false, false
	}
	secs, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return "", time.Time{}, false, false, false
	}
	return m[1], time.Unix(secs, 0).UTC(), m[3] != "", m[4] != "", true
}

// Find returns the Ruby-era archives under root, oldest first, and a Problem for
// every other file in its day directories. Other entries of root (the store's own
// directories, when both share a root) are left alone. An error means root itself
// could not be read.
func Find(ctx context.Context, root string) ([]Archive, []Problem, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, fmt.Errorf("legacy: open %s: %w", root, err)
	}
	defer r.Close()
	entries, err := fs.ReadDir(r.FS(), ".")
	if err != nil {
		return nil, nil, fmt.Errorf("legacy: read %s: %w", root, err)
	}
	var archives []Archive
	var problems []Problem
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if _, err := time.Parse(dayLayout, e.Name()); err != nil {
			continue
		}
		if !e.IsDir() { // a symbolic link reports its own type, not its target's
			problems = append(problems, Problem{filepath.Join(root, e.Name()), errors.New("named like a day directory but not a directory (links are not followed)")})
			continue
		}
		a, p := findInDay(r, root, e.Name())
		archives, problems = append(archives, a...), append(problems, p...)
	}
	sort.SliceStable(archives, func(i, j int) bool {
		if !archives[i].Created.Equal(archives[j].Created) {
			return archives[i].Created.Before(archives[j].Created)
		}
		return archives[i].Path < archives[j].Path
	})
	return archives, problems, nil
}

// findInDay reads one day directory.
func findInDay(r *os.Root, root, day string) ([]Archive, []Problem) {
	dir := filepath.Join(root, day)
	entries, err := fs.ReadDir(r.FS(), day)
	if err != nil {
		return nil, []Problem{{dir, err}}
	}
	names := map[string]fs.DirEntry{}
	for _, e := range entries {
		names[e.Name()] = e
	}
	var archives []Archive
	var problems []Problem
	for _, e := range entries {
		base, path := e.Name(), filepath.Join(dir, e.Name())
		name, created, gz, enc, ok := ParseName(base)
		switch {
		case strings.HasSuffix(base, MetaExt):
			if _, ok := names[strings.TrimSuffix(base, MetaExt)]; !ok {
				problems = append(problems, Problem{path, errors.New("a .meta without its archive")})
			}
		case strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".tmp"):
			problems = append(problems, Problem{path, errors.New("left by an interrupted Ruby-era backup: not an archive")})
		case !ok:
			problems = append(problems, Problem{path, errors.New("not named like a Ruby-era archive")})
		case !e.Type().IsRegular():
			problems = append(problems, Problem{path, fmt.Errorf("not a regular file (%s; links are not followed)", e.Type())})
		default:
			a := Archive{Path: path, Day: day, Name: name, Created: created, Gzip: gz, Encrypted: enc}
			if err := a.load(r, day+"/"+base, names[base+MetaExt] != nil); err != nil {
				problems = append(problems, Problem{path, err})
				continue
			}
			archives = append(archives, a)
		}
	}
	return archives, problems
}

// load fills in the archive's size and its .meta, when it has one.
func (a *Archive) load(r *os.Root, rel string, hasMeta bool) error {
	f, fi, err := openRegular(r, rel)
	if err != nil {
		return err
	}
	f.Close()
	a.Size = fi.Size()
	if hasMeta {
		a.Meta, a.MetaErr = readMetaAt(r, rel+MetaExt)
	}
	return nil
}

func readMetaAt(r *os.Root, rel string) (*Meta, error) {
	f, _, err := openRegular(r, rel)
	if err != nil {
		return nil, fmt.Errorf("its .meta: %w", err)
	}
	defer f.Close()
	m, err := ReadMeta(f)
	if err != nil {
		return nil, fmt.Errorf("its .meta: %w", err)
	}
	return &m, nil
}

// openRegular opens rel under r for reading only when it is a regular file reached
// without a symbolic link in its last component: os.Root keeps every step inside
// r, and the file opened must be the one Lstat saw. O_NONBLOCK keeps a FIFO put in
// its place from blocking the open.
func openRegular(r *os.Root, rel string) (*os.File, os.FileInfo, error) {
	before, err := r.Lstat(rel)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s; links are not followed)", before.Mode().Type())
	}
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(before, fi) {
		f.Close()
		return nil, nil, errors.New("replaced while it was opened")
	}
	return f, fi, nil
}

// openArchive opens a's file and its .meta afresh, by its path.
func openArchive(a Archive) (*os.File, os.FileInfo, error) {
	r, err := os.OpenRoot(filepath.Dir(a.Path))
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return openRegular(r, filepath.Base(a.Path))
}
