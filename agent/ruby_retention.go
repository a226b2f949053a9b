package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// The agent's retention of the Ruby Baktainer's archives (<root>/<date>/<name>-
// <unix time>.sql[.gz][.encrypted]): after a backup, those of the backup's
// (mapped) name count with the store's archives of the name as one history, as
// `baktainer prune` counts them (legacy.PlanRetention). Only legacy.Remove
// deletes one; the newest archive that verifies, of either kind, is never
// removed (the one just committed is the newest, and verified as it was written).

// rubyPrune is what retention did and still has to do about one name's
// Ruby-era archives in one root.
type rubyPrune struct {
	removed int
	// twins are the archives Migrate copied: they follow their copy, which the
	// store's own prune decides about (followCopies).
	twins []legacy.RetentionDecision
	err   error
}

// ApplyRetention applies p to the archives of name under root after
// opts.Verified (fresh) was committed there, as the agent does after each backup: the Ruby Baktainer's
// archives of the name count with the store's (keys open the encrypted ones, to
// verify them), and fresh, verified as it was written, is never removed. It
// returns how many archives it removed, each logged; on error the others are
// still decided, and fresh is untouched.
func ApplyRetention(ctx context.Context, log *logrus.Entry, root, name string, p store.Policy, opts store.PruneOptions, keys []legacy.Key) (int, error) {
	now, fresh := time.Now(), opts.Verified
	ruby := pruneRuby(ctx, log, root, name, fresh, p, now, keys)
	decisions, err := store.Prune(ctx, root, name, p, now, opts)
	ruby.followCopies(log, decisions)
	removed := ruby.removed
	for _, d := range decisions {
		if !d.Keep {
			removed++
			log.WithFields(logrus.Fields{"archive": d.Archive.Path, "reason": d.Reason}).Info("retention removed an archive")
		}
	}
	return removed, errors.Join(err, ruby.err)
}

// pruneRuby applies p to name's Ruby-era archives under root before the store
// prunes its own (what it removes is then gone when the store measures free
// space). fresh is the archive just committed.
func pruneRuby(ctx context.Context, log *logrus.Entry, root, name, fresh string, p store.Policy, now time.Time, keys []legacy.Key) rubyPrune {
	ruby, err := rubyArchivesOf(ctx, root, name)
	if err != nil || len(ruby) == 0 {
		return rubyPrune{err: err}
	}
	current, free, err := countedWith(ctx, root, name, p)
	if err != nil {
		return rubyPrune{err: err}
	}
	decisions, err := legacy.PlanRetention(ctx, ruby, current, p, now, free, legacy.Verifiers{
		Store: func(ctx context.Context, s store.Archive) bool {
			if s.Path == fresh {
				return true // hashed as it was written
			}
			_, err := store.Verify(ctx, s.Path)
			return err == nil
		},
		Ruby: func(ctx context.Context, r legacy.Archive) bool {
			_, err := legacy.Verify(ctx, r, keys, io.Discard)
			return err == nil
		},
	})
	if err != nil {
		return rubyPrune{err: fmt.Errorf("retention of the Ruby-era archives of %s: %w", name, err)}
	}
	var out rubyPrune
	for _, d := range decisions {
		switch {
		case d.Twin != "":
			out.twins = append(out.twins, d)
		case !d.Keep:
			out.remove(log, d.Archive, d.Reason)
		}
	}
	return out
}

// followCopies removes the Ruby-era originals whose migrated copy the store's
// prune removed (copies are its decisions).
func (r *rubyPrune) followCopies(log *logrus.Entry, copies []store.Decision) {
	for _, t := range r.twins {
		for _, c := range copies {
			if c.Archive.Path == t.Twin && !c.Keep {
				r.remove(log, t.Archive, "its migrated copy "+t.Twin+" went: "+c.Reason)
			}
		}
	}
}

// remove deletes one Ruby-era archive and its .meta (legacy.Remove), then its
// day directory when that leaves it empty.
func (r *rubyPrune) remove(log *logrus.Entry, a legacy.Archive, reason string) {
	if err := legacy.Remove(a); err != nil {
		r.err = errors.Join(r.err, err)
		return
	}
	_ = os.Remove(filepath.Dir(a.Path)) // only when empty
	r.removed++
	log.WithFields(logrus.Fields{"archive": a.Path, "reason": reason}).Info("retention removed a Ruby-era archive")
}

// rubyArchivesOf returns the Ruby-era archives under root that retention files
// under name. What in their day directories is no usable archive is left alone
// (`baktainer prune` and `list` report it).
func rubyArchivesOf(ctx context.Context, root, name string) ([]legacy.Archive, error) {
	found, _, err := legacy.Find(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []legacy.Archive
	for _, r := range found {
		if r.BackupName() == name {
			out = append(out, r)
		}
	}
	return out, nil
}

// countedWith returns the store's archives of name under root, which the
// Ruby-era ones count with, and root's free space when p needs it.
func countedWith(ctx context.Context, root, name string, p store.Policy) ([]store.Archive, uint64, error) {
	listing, err := store.Scan(ctx, root)
	if err != nil {
		return nil, 0, err
	}
	var current []store.Archive
	for _, s := range listing.Archives {
		if s.Meta.Name == name {
			current = append(current, s)
		}
	}
	if p.MinFreeBytes == 0 {
		return current, 0, nil
	}
	free, err := freeSpace(root)
	return current, free, err
}

// freeSpace is what is available to the agent on root's file system.
func freeSpace(root string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", root, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
