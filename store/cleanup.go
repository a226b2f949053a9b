package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Cleaned is what Cleanup did.
type Cleaned struct {
	Removed   []string // leftovers removed
	Completed []string // archives whose interrupted commit was finished
}

// Cleanup deals with what crashed writers left under root, and touches nothing
// else. Only inside the layout (root itself, <name>/ and <name>/<date>/, never a
// dot-directory, never through a link) and only regular files it recognises:
//
//   - temp files (named .baktainer-tmp-…) that no live writer holds locked;
//   - in <name>/<date>/, a sidecar named after an archive of name and date
//     (<name>-<time>….<ext>.json or .sha256) whose archive does not exist, when no
//     writer is at work in that directory;
//   - an archive with its .json but no .sha256 (a commit killed just before its
//     last step) gets its .sha256 when the archive matches its .json; when it does
//     not, it is reported and left as it is.
//
// A missing root holds nothing to clean. Problems come back as a *ProblemsError.
func Cleanup(ctx context.Context, root string) (Cleaned, error) {
	var c cleaner
	rootDir, err := openRoot(root)
	if errors.Is(err, fs.ErrNotExist) {
		return c.done, nil
	}
	if err != nil {
		return c.done, fmt.Errorf("store: clean up %s: %w", root, err)
	}
	defer rootDir.close()
	names, err := rootDir.names()
	if err != nil {
		return c.done, fmt.Errorf("store: clean up %s: %w", root, err)
	}
	c.removeTemps(rootDir, names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return c.done, err
		}
		if checkName(name) == nil {
			c.cleanName(ctx, rootDir, name)
		}
	}
	return c.done, errors.Join(errors.Join(c.errs...), problemsError(c.problems))
}

type cleaner struct {
	done     Cleaned
	problems []Problem
	errs     []error
}

// removeTemps removes the unlocked temp files among d's entries names, and reports
// whether a locked one (a live writer) is there.
func (c *cleaner) removeTemps(d *dirHandle, names []string) (busy bool) {
	for _, n := range names {
		if !strings.HasPrefix(n, tempPrefix) || !d.isRegular(n) {
			continue
		}
		removed, err := removeIfUnlocked(d, n)
		switch {
		case err != nil:
			c.errs = append(c.errs, err)
		case removed:
			c.done.Removed = append(c.done.Removed, d.join(n))
		default:
			busy = true
		}
	}
	return busy
}

func (c *cleaner) cleanName(ctx context.Context, root *dirHandle, name string) {
	nameDir, _ := layoutDir(root, name)
	if nameDir == nil {
		return // nothing there, or not a directory (a link): not ours to touch
	}
	defer nameDir.close()
	entries, err := nameDir.names()
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	c.removeTemps(nameDir, entries)
	for _, day := range entries {
		if ctx.Err() != nil || !isDay(day) {
			continue
		}
		dayDir, _ := layoutDir(nameDir, day)
		if dayDir == nil {
			continue
		}
		c.cleanDay(ctx, dayDir, name, day)
		dayDir.close()
	}
}

// cleanDay handles one <name>/<date>/ directory.
func (c *cleaner) cleanDay(ctx context.Context, d *dirHandle, name, day string) {
	entries, err := d.names()
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	// Look again after the temp files: a writer may have started meanwhile, and its
	// .json may already be in place while its archive is not yet renamed.
	if c.removeTemps(d, entries) || hasLiveWriter(d) {
		return
	}
	for _, n := range entries {
		archive, ok := sidecarOf(n)
		if !ok || !d.isRegular(n) {
			continue
		}
		t, ok := archiveTime(name, archive)
		if !ok || t.Format(dayLayout) != day {
			continue // not named after an archive of this directory
		}
		switch {
		case !d.exists(archive):
			if err := d.remove(n); err != nil {
				c.errs = append(c.errs, err)
				continue
			}
			c.done.Removed = append(c.done.Removed, d.join(n))
		case n == archive+MetaExt && !d.exists(archive+ChecksumExt):
			c.finishCommit(ctx, d, name, archive)
		}
	}
}

// finishCommit writes the .sha256 of an archive whose commit was killed after the
// archive's rename, when the archive matches its .json; otherwise it reports it.
func (c *cleaner) finishCommit(ctx context.Context, d *dirHandle, name, archive string) {
	if isLocked(d, archive) {
		return // its writer is finishing the commit right now
	}
	meta, err := readMetaIn(d, archive)
	if err == nil && (meta.Name != name || meta.File != archive) {
		err = fmt.Errorf("%w: %s does not describe %s", ErrDamaged, d.join(archive+MetaExt), archive)
	}
	if err == nil {
		err = hashFileIn(ctx, d, archive, meta.SHA256, meta.Size)
	}
	if err == nil {
		checksum := fmt.Sprintf("%s  %s\n", meta.SHA256, archive)
		if err = writeFileAtomic(d, archive+ChecksumExt, []byte(checksum), accessOf(d, archive)); err == nil {
			err = d.sync()
		}
	}
	if err != nil {
		c.problems = append(c.problems, Problem{Path: d.join(archive),
			Err: fmt.Errorf("%s has a .json but no .sha256 (an interrupted commit) and was left as it is: %w", d.join(archive), err)})
		return
	}
	c.done.Completed = append(c.done.Completed, d.join(archive))
}
