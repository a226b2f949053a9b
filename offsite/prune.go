package offsite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baktainer/baktainer/store"
)

// PruneOptions tune Prune.
type PruneOptions struct {
	// DryRun only plans: nothing is removed.
	DryRun bool
	// Verified is the key of a copy the caller knows is good (the one Upload
	// has just stored and checked): Prune does not read it again.
	Verified string
	// LeftoverAge is how old a leftover (an incomplete copy, a multipart upload
	// never completed) must be before Prune removes it, so that an upload in
	// progress elsewhere is never touched. 0 means DefaultLeftoverAge. It is
	// measured from the wall clock, not from Prune's now.
	LeftoverAge time.Duration
}

// DefaultLeftoverAge is PruneOptions.LeftoverAge's default.
const DefaultLeftoverAge = 24 * time.Hour

// Pruned is what Prune decided and did.
type Pruned struct {
	// Decisions has one entry per complete copy, oldest first, with the reason
	// (Archive.Path is the key).
	Decisions []store.Decision
	// NewestVerified is the key of the newest copy that verified ("" when
	// nothing had to be removed, so nothing was read).
	NewestVerified string
	Removed        []string  // keys removed: copies' objects and leftovers
	Aborted        []string  // keys of multipart uploads aborted
	Problems       []Problem // copies that do not verify: reported, never trusted
	Retries        int
}

// Prune applies policy p to the remote copies of name, independently of the
// local archives: store.Plan decides on the complete copies (MinFreeBytes does
// not apply to a bucket). The newest copy that verifies (read in full, newest
// first, only when the plan removes something) is never removed; when none
// verifies, nothing is removed and the error says so. A copy is removed
// .sha256 first, then .json, then the archive: an interrupted prune leaves an
// incomplete copy, never one that looks complete, and a later Prune removes it
// as a leftover. Copies whose sidecars contradict them are reported in
// Problems and left alone.
func (r *Remote) Prune(ctx context.Context, name string, p store.Policy, now time.Time, opts PruneOptions) (res Pruned, err error) {
	defer func() { err = redact(err, r.settings) }()
	if !validName(name) {
		return res, fmt.Errorf("offsite: prune: invalid backup name %q", name)
	}
	if opts.LeftoverAge <= 0 {
		opts.LeftoverAge = DefaultLeftoverAge
	}
	listing, err := r.List(ctx, name)
	if err != nil {
		return res, err
	}
	res.Problems = listing.Problems
	p.MinFreeBytes = 0
	archives := listing.Archives()
	res.Decisions = store.Plan(archives, p, now, store.Facts{})
	if removesAny(res.Decisions) {
		if res.NewestVerified, err = r.newestVerified(ctx, listing.Copies, opts.Verified, &res); err != nil {
			return res, err
		}
		res.Decisions = store.Plan(archives, p, now, store.Facts{NewestVerified: res.NewestVerified})
	}
	if opts.DryRun {
		return res, nil
	}
	rm := &remover{Remote: r, rt: &retrier{policy: r.opts.Retry, log: r.opts.Log}, res: &res}
	defer func() { res.Retries += int(rm.rt.retries.Load()) }()
	for _, d := range res.Decisions {
		if !d.Keep {
			if err := rm.removeCopy(ctx, d.Archive.Path); err != nil {
				return res, err
			}
		}
	}
	// Leftovers are dated by the server's clock, so they are aged by the wall
	// clock, not by now (which a caller may set to plan as of another time).
	cutoff := time.Now().Add(-opts.LeftoverAge)
	if err := rm.removeLeftovers(ctx, listing.Leftovers, cutoff); err != nil {
		return res, err
	}
	return res, rm.abortStale(ctx, namePrefix(r.prefix, name), cutoff)
}

// newestVerified returns the key of the newest copy that verifies, reading
// copies newest first; copies that fail are added to res.Problems. A read that
// fails for another reason (the network) stops the prune.
func (r *Remote) newestVerified(ctx context.Context, copies []Copy, known string, res *Pruned) (string, error) {
	for i := len(copies) - 1; i >= 0; i-- {
		key := copies[i].Key
		if key == known {
			return key, nil
		}
		_, err := r.Verify(ctx, key)
		switch {
		case err == nil:
			return key, nil
		case errors.Is(err, store.ErrChecksumMismatch) || errors.Is(err, store.ErrDamaged):
			res.Problems = append(res.Problems, Problem{Key: key, Err: err})
		default:
			return "", fmt.Errorf("offsite: prune: verify %s: %w", r.URL(key), err)
		}
	}
	return "", fmt.Errorf("offsite: prune: no remote copy under %s verifies: nothing removed", r.URL(r.prefix))
}

func removesAny(decisions []store.Decision) bool {
	for _, d := range decisions {
		if !d.Keep {
			return true
		}
	}
	return false
}

// remover removes objects for one Prune.
type remover struct {
	*Remote
	rt  *retrier
	res *Pruned
}

// removeCopy removes a copy's .sha256, then its .json, then its archive.
func (rm *remover) removeCopy(ctx context.Context, key string) error {
	for _, k := range []string{key + store.ChecksumExt, key + store.MetaExt, key} {
		if err := rm.remove(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

func (rm *remover) remove(ctx context.Context, key string) error {
	err := rm.rt.do(ctx, "remove "+rm.URL(key), func(ctx context.Context) error { return rm.store.remove(ctx, key) })
	if err != nil {
		return fmt.Errorf("offsite: prune: %w", err)
	}
	rm.res.Removed = append(rm.res.Removed, key)
	return nil
}

// removeLeftovers removes the leftovers last modified before cutoff, checksum
// sidecars first, then metadata, then archives.
func (rm *remover) removeLeftovers(ctx context.Context, leftovers []Leftover, cutoff time.Time) error {
	for _, ext := range []string{store.ChecksumExt, store.MetaExt, ""} {
		for _, l := range leftovers {
			isSidecar := strings.HasSuffix(l.Key, store.ChecksumExt) || strings.HasSuffix(l.Key, store.MetaExt)
			if (ext == "" && isSidecar) || (ext != "" && !strings.HasSuffix(l.Key, ext)) || !l.Modified.Before(cutoff) {
				continue
			}
			if err := rm.remove(ctx, l.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// abortStale aborts the multipart uploads under prefix started before cutoff
// whose key is one of baktainer's.
func (rm *remover) abortStale(ctx context.Context, prefix string, cutoff time.Time) error {
	var pending []pendingUpload
	err := rm.rt.do(ctx, "list the multipart uploads under "+rm.URL(prefix), func(ctx context.Context) (err error) {
		pending, err = rm.store.uploads(ctx, prefix)
		return err
	})
	if err != nil {
		return fmt.Errorf("offsite: prune: %w", err)
	}
	for _, u := range pending {
		if _, ok := parseKey(rm.prefix, u.Key); !ok || !u.Initiated.Before(cutoff) {
			continue
		}
		err := rm.rt.do(ctx, "abort the upload of "+rm.URL(u.Key), func(ctx context.Context) error {
			return rm.store.abortUpload(ctx, u.Key, u.UploadID)
		})
		if err != nil {
			return fmt.Errorf("offsite: prune: %w", err)
		}
		rm.res.Aborted = append(rm.res.Aborted, u.Key)
	}
	return nil
}
