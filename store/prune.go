package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/atomicfile"
)

// Prune applies policy p to the archives of one backup name under root: it removes
// each archive the plan does not keep, with its sidecars (the archive first, so an
// interrupted prune never leaves an archive without its checksum; Cleanup removes
// orphan sidecars). It returns every decision, oldest archive first.
//
// The newest archive whose checksum verifies is never removed: Prune checks
// archives newest first until one passes, but only when the plan would remove
// something, so a prune that removes nothing reads nothing.
func Prune(ctx context.Context, root, name string, p Policy, now time.Time, opts PruneOptions) ([]Decision, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	all, err := List(filepath.Join(root, name))
	if err != nil {
		return nil, err
	}
	var mine []Archive
	for _, a := range all {
		if a.Meta.Name == name {
			mine = append(mine, a)
		}
	}
	var facts Facts
	if p.MinFreeBytes > 0 {
		if facts.FreeBytes, err = freeBytes(root); err != nil {
			return nil, fmt.Errorf("store: prune %s: free space of %s: %w", name, root, err)
		}
	}
	decisions := Plan(mine, p, now, facts)
	if removesAny(decisions) {
		if facts.NewestVerified, err = newestVerified(ctx, mine, opts.Verified); err != nil {
			return nil, err
		}
		decisions = Plan(mine, p, now, facts)
	}
	if opts.DryRun {
		return decisions, nil
	}
	dirs := map[string]bool{}
	for _, d := range decisions {
		if d.Keep {
			continue
		}
		if err := ctx.Err(); err != nil {
			return decisions, err
		}
		if err := removeArchive(d.Archive.Path); err != nil {
			return decisions, fmt.Errorf("store: prune %s: %w", name, err)
		}
		dirs[filepath.Dir(d.Archive.Path)] = true
	}
	var errs []error
	for dir := range dirs {
		// An emptied day directory goes too; one with archives left stays.
		if err := os.Remove(dir); err == nil {
			errs = append(errs, atomicfile.SyncDir(filepath.Dir(dir)))
		} else {
			errs = append(errs, atomicfile.SyncDir(dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return decisions, fmt.Errorf("store: prune %s: sync: %w", name, err)
	}
	return decisions, nil
}

func removesAny(decisions []Decision) bool {
	for _, d := range decisions {
		if !d.Keep {
			return true
		}
	}
	return false
}

// newestVerified returns the path of the newest archive whose checksum and
// sidecars verify, or "" when none does.
func newestVerified(ctx context.Context, archives []Archive, known string) (string, error) {
	for i := len(archives) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if archives[i].Path == known {
			return known, nil
		}
		if _, err := Verify(archives[i].Path); err == nil {
			return archives[i].Path, nil
		}
	}
	return "", nil
}

// PruneOptions tune Prune.
type PruneOptions struct {
	// DryRun only plans: nothing is removed.
	DryRun bool
	// Verified is an archive the caller knows passes Verify, e.g. the one it has
	// just committed (hashed while written, then synced): Prune does not read it
	// again to find the newest good archive.
	Verified string
}

// removeArchive removes an archive, then its sidecars.
func removeArchive(path string) error {
	for _, p := range []string{path, path + ChecksumExt, path + MetaExt} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// freeBytes returns the space an unprivileged writer can still use under dir.
func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
