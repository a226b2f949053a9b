package store

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Prune applies policy p to the archives of one backup name under root: it removes
// each archive the plan does not keep, with its sidecars. The .sha256 goes first,
// so an interrupted prune never leaves a .sha256 without its archive (an archive
// left with its .json alone gets its .sha256 back from Cleanup: nothing is lost).
// It returns every decision, oldest archive first, then the archives it could not
// trust (kept, with Decision.Problem set; also returned as a *ProblemsError).
//
// Only the archives that Scan trusts are counted and removed: in the layout, their
// name, date directory and metadata agreeing, not dated in the future. The newest
// archive whose checksum verifies is never removed: Prune checks archives newest
// first until one passes, but only when the plan would remove something, so a prune
// that removes nothing reads nothing. opts.Verified (the archive just committed)
// is never removed either.
func Prune(ctx context.Context, root, name string, p Policy, now time.Time, opts PruneOptions) ([]Decision, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	l, err := scan(ctx, root, name, now)
	if err != nil {
		return nil, err
	}
	facts := Facts{JustCommitted: opts.Verified, InUse: opts.InUse}
	if p.MinFreeBytes > 0 {
		if facts.FreeBytes, err = freeBytesAt(root); err != nil {
			return nil, fmt.Errorf("store: prune %s: free space of %s: %w", name, root, err)
		}
	}
	decisions, err := plan(ctx, l.Archives, p, now, facts, opts.RestoreVerifiedKey, func(ctx context.Context, a Archive) bool {
		_, err := verifyArchive(ctx, root, a)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if !opts.DryRun {
		if err := removeDropped(ctx, root, name, decisions); err != nil {
			return decisions, fmt.Errorf("store: prune %s: %w", name, err)
		}
	}
	for _, pr := range l.Problems {
		decisions = append(decisions, Decision{Archive: Archive{Path: pr.Path}, Keep: true,
			Reason: "not counted, left alone: " + pr.Err.Error(), Problem: pr.Err})
	}
	return decisions, problemsError(l.Problems)
}

// plan is Plan, with facts.NewestVerified found by verifies when (and only when)
// the plan removes something. The archive just committed counts as verified: its
// writer hashed it as it wrote it. With a seal key, facts.NewestRestoreVerified
// is the newest archive whose restore verification that key sealed and whose
// checksum verifies.
func plan(ctx context.Context, archives []Archive, p Policy, now time.Time, facts Facts, sealKey []byte,
	verifies func(context.Context, Archive) bool) ([]Decision, error) {
	decisions := Plan(archives, p, now, facts)
	if !removesAny(decisions) {
		return decisions, nil
	}
	var err error
	facts.NewestVerified, err = newestWhere(ctx, archives, now, func(a Archive) bool {
		return a.Path == facts.JustCommitted || verifies(ctx, a)
	})
	if err == nil && len(sealKey) > 0 {
		facts.NewestRestoreVerified, err = newestWhere(ctx, archives, now, func(a Archive) bool {
			return a.Meta.TrustedRestoreVerification(sealKey) != nil && verifies(ctx, a)
		})
	}
	if err != nil {
		return nil, err
	}
	return Plan(archives, p, now, facts), nil
}

// newestWhere returns the path of the newest trusted archive for which ok holds.
func newestWhere(ctx context.Context, archives []Archive, now time.Time, ok func(Archive) bool) (string, error) {
	for _, i := range newestFirst(archives) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if a := archives[i]; untrusted(a, now) == "" && ok(a) {
			return a.Path, nil
		}
	}
	return "", nil
}

func removesAny(decisions []Decision) bool {
	for _, d := range decisions {
		if !d.Keep {
			return true
		}
	}
	return false
}

// PruneOptions tune Prune.
type PruneOptions struct {
	// DryRun only plans: nothing is removed.
	DryRun bool
	// Verified is the archive the caller has just committed (hashed while written,
	// then synced). Prune never removes it, and takes it as verified without reading
	// it again.
	Verified string
	// RestoreVerifiedKey, when set (test-restores are on), is the key the
	// agent seals its test-restores' results with: the newest archive whose
	// verification it seals (and whose checksum verifies) is never removed.
	RestoreVerifiedKey []byte
	// InUse are archives a test-restore is reading: never removed.
	InUse []string
}

// verifyArchive verifies a listed archive of root, reaching it without links.
func verifyArchive(ctx context.Context, root string, a Archive) (Meta, error) {
	d, err := openArchiveDir(root, a)
	if err != nil {
		return Meta{}, err
	}
	defer d.close()
	return verifyIn(ctx, d, filepath.Base(a.Path))
}

// openArchiveDir opens the <name>/<date>/ directory of a listed archive of root.
func openArchiveDir(root string, a Archive) (*dirHandle, error) {
	return openDirBelow(root, filepath.Join(root, a.Meta.Name, filepath.Base(filepath.Dir(a.Path))))
}

// removeDropped removes what the decisions drop, then the date directories that
// leaves empty.
func removeDropped(ctx context.Context, root, name string, decisions []Decision) error {
	emptied := map[string]bool{}
	for _, d := range decisions {
		if d.Keep {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := removeArchive(root, d.Archive); err != nil {
			return err
		}
		emptied[filepath.Base(filepath.Dir(d.Archive.Path))] = true
	}
	if len(emptied) == 0 {
		return nil
	}
	nameDir, err := openDirBelow(root, filepath.Join(root, name))
	if err != nil {
		return err
	}
	defer nameDir.close()
	for day := range emptied {
		// An emptied date directory goes too; one with anything left stays.
		nameDir.removeEmptyDir(day)
	}
	return nameDir.sync()
}

// removeArchive removes a listed archive: its .sha256, then the archive, then its
// .json, and makes that durable.
func removeArchive(root string, a Archive) error {
	d, err := openArchiveDir(root, a)
	if err != nil {
		return err
	}
	defer d.close()
	base := filepath.Base(a.Path)
	for _, name := range []string{base + ChecksumExt, base, base + MetaExt} {
		if err := d.remove(name); err != nil {
			return err
		}
	}
	return d.sync()
}

// freeBytesAt returns the space an unprivileged writer can still use under dir.
func freeBytesAt(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
