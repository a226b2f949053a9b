package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Archive is a committed archive found on disk.
type Archive struct {
	Path string
	Meta Meta
}

// Problem is something in the layout that looks like a committed archive (or a
// directory of one) but cannot be trusted: unreadable or garbage metadata, a file
// name, date directory and metadata that disagree about its name or time, a time
// in the future, a link or special file where a directory or archive belongs.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) Error() string { return p.Err.Error() }

// ProblemsError reports the problems a listing, cleanup or prune found. Whatever
// could be trusted was still listed, cleaned or pruned.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Err.Error()
	}
	return fmt.Sprintf("store: %d problem(s): %s", len(e.Problems), strings.Join(msgs, "; "))
}

// problemsError returns nil without problems.
func problemsError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &ProblemsError{Problems: problems}
}

// Listing is what Scan found.
type Listing struct {
	Archives []Archive // committed and trusted, oldest first
	Problems []Problem // by path
}

// ErrUntrusted marks an archive whose file name, date directory and metadata
// disagree (about its name or its time), or whose time is in the future: whoever
// wrote it, it is not counted by retention nor listed, and never removed.
var ErrUntrusted = errors.New("store: archive not trusted")

// maxFutureSkew is how far ahead of the reader's clock an archive's time may be
// (hosts that share a volume may disagree a little). Anything later is a problem:
// it would otherwise count as the newest archive forever.
const maxFutureSkew = 5 * time.Minute

// Scan lists every committed archive under root (all names): files in the layout
// <root>/<name>/<date>/<name>-<time>....<ext> with both sidecars, whose name, date
// directory and metadata agree and whose time is not in the future. Anything that
// looks committed but fails this is a Problem, reported by itself; the rest is
// still listed. Temp files and the leftovers of interrupted commits (Cleanup's
// business) are neither. Links below root are never followed, only regular files
// are opened. A missing root is an error wrapping fs.ErrNotExist.
func Scan(ctx context.Context, root string) (Listing, error) {
	return scan(ctx, root, "", time.Now())
}

// List returns the committed, trusted archives under root, oldest first (see
// Scan); a missing root holds none. Problems come back as a *ProblemsError along
// with the archives that could be trusted. It stops when ctx ends (a tree can
// be large, and its filesystem slow).
func List(ctx context.Context, root string) ([]Archive, error) {
	l, err := scan(ctx, root, "", time.Now())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return l.Archives, problemsError(l.Problems)
}

// scan lists root, or with only set the one name only.
func scan(ctx context.Context, root, only string, now time.Time) (Listing, error) {
	var l Listing
	rootDir, err := openRoot(root)
	if err != nil {
		return l, fmt.Errorf("store: list %s: %w", root, err)
	}
	defer rootDir.close()
	names := []string{only}
	if only == "" {
		if names, err = rootDir.names(); err != nil {
			return l, fmt.Errorf("store: list %s: %w", root, err)
		}
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return l, err
		}
		if checkName(name) != nil {
			continue // not a name of ours (dot-directories included)
		}
		l.scanName(ctx, rootDir, name, now)
	}
	sort.SliceStable(l.Archives, func(i, j int) bool { return newer(l.Archives[j], l.Archives[i]) }) // oldest first
	sort.SliceStable(l.Problems, func(i, j int) bool { return l.Problems[i].Path < l.Problems[j].Path })
	return l, ctx.Err()
}

func (l *Listing) problem(path string, err error) {
	l.Problems = append(l.Problems, Problem{Path: path, Err: err})
}

// scanName lists the archives in root's directory name.
func (l *Listing) scanName(ctx context.Context, root *dirHandle, name string, now time.Time) {
	nameDir, err := layoutDir(root, name)
	if nameDir == nil {
		if err != nil {
			l.problem(root.join(name), err)
		}
		return
	}
	defer nameDir.close()
	days, err := nameDir.names()
	if err != nil {
		l.problem(nameDir.path, err)
		return
	}
	for _, day := range days {
		if ctx.Err() != nil || !isDay(day) {
			continue
		}
		dayDir, err := layoutDir(nameDir, day)
		if dayDir == nil {
			if err != nil {
				l.problem(nameDir.join(day), err)
			}
			continue
		}
		l.scanDay(dayDir, name, day, now)
		dayDir.close()
	}
}

// layoutDir opens the directory entry of parent that the layout names. It returns
// (nil, nil) when there is nothing to look at (no such entry, or a plain file that
// is not ours) and an error for what is refused (a link, a special file).
func layoutDir(parent *dirHandle, entry string) (*dirHandle, error) {
	st, err := parent.lstat(entry)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return parent.child(entry)
	case unix.S_IFREG:
		return nil, nil
	}
	return nil, parent.refused(entry, "directory")
}

// scanDay lists the committed archives of name in one date directory.
func (l *Listing) scanDay(d *dirHandle, name, day string, now time.Time) {
	entries, err := d.names()
	if err != nil {
		l.problem(d.path, err)
		return
	}
	for _, base := range entries {
		t, ok := archiveTime(name, base)
		if !ok || !d.exists(base+ChecksumExt) {
			continue // not an archive, or not committed (yet)
		}
		a, err := loadArchive(d, name, day, base, t, now)
		if err != nil {
			l.problem(d.join(base), err)
			continue
		}
		l.Archives = append(l.Archives, a)
	}
}

// loadArchive reads the metadata of the archive base (of name, in date directory
// day, its file name saying t) and checks that everything agrees.
func loadArchive(d *dirHandle, name, day, base string, t, now time.Time) (Archive, error) {
	for _, f := range []string{base, base + ChecksumExt} {
		if !d.isRegular(f) {
			return Archive{}, d.refused(f, "regular file")
		}
	}
	meta, err := readMetaIn(d, base)
	if err != nil {
		return Archive{}, err
	}
	path := d.join(base)
	switch {
	case meta.Name != name:
		return Archive{}, fmt.Errorf("%w: %s is in the directory of %q, its metadata says it is of %q", ErrUntrusted, path, name, meta.Name)
	case meta.File != base:
		return Archive{}, fmt.Errorf("%w: %s describes %q, not %q", ErrUntrusted, path+MetaExt, meta.File, base)
	case !meta.Created.Equal(t):
		return Archive{}, fmt.Errorf("%w: %s: its file name says %s, its metadata %s", ErrUntrusted, path, t.Format(time.RFC3339), meta.Created.UTC().Format(time.RFC3339))
	case t.Format(dayLayout) != day:
		return Archive{}, fmt.Errorf("%w: %s: its file name says %s, its directory %s", ErrUntrusted, path, t.Format(dayLayout), day)
	case t.After(now.Add(maxFutureSkew)):
		return Archive{}, fmt.Errorf("%w: %s is dated %s, in the future", ErrUntrusted, path, t.Format(time.RFC3339))
	}
	return Archive{Path: path, Meta: meta}, nil
}
