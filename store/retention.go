package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Policy says which archives of one backup name to keep. Zero fields are off; an
// archive is kept when any enabled rule keeps it.
//
// TODO(issue 4): keep daily/weekly/monthly (GFS), minimum free space, and "the
// newest archive that passes verify is never removed" are not implemented yet.
type Policy struct {
	MaxAge   time.Duration // BT_RETENTION_DAYS
	MaxCount int           // BT_RETENTION_COUNT
}

// Decision is the fate of one archive and why.
type Decision struct {
	Archive Archive
	Keep    bool
	Reason  string
}

// Plan decides, without touching anything, which of one name's archives to keep
// under policy at now. archives must be oldest first, as List returns them.
func Plan(archives []Archive, p Policy, now time.Time) []Decision {
	out := make([]Decision, len(archives))
	for i, a := range archives {
		newerCount := len(archives) - 1 - i
		d := Decision{Archive: a, Keep: true, Reason: "no retention rule applies"}
		switch {
		case newerCount == 0:
			d.Reason = "newest archive"
		case p.MaxCount > 0 && newerCount >= p.MaxCount:
			d.Keep, d.Reason = false, "more than BT_RETENTION_COUNT newer archives"
		case p.MaxAge > 0 && now.Sub(a.Meta.Created) > p.MaxAge:
			d.Keep, d.Reason = false, "older than BT_RETENTION_DAYS"
		}
		out[i] = d
	}
	return out
}

// Prune applies policy to the archives of one backup name under root: it removes
// each archive the plan does not keep, with its sidecars (the sidecars last, so an
// interrupted prune never leaves an archive without its checksum). With dryRun it
// only plans. It returns every decision.
func Prune(ctx context.Context, root, name string, p Policy, now time.Time, dryRun bool) ([]Decision, error) {
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
	decisions := Plan(mine, p, now)
	if dryRun {
		return decisions, nil
	}
	for _, d := range decisions {
		if d.Keep {
			continue
		}
		if err := ctx.Err(); err != nil {
			return decisions, err
		}
		for _, path := range []string{d.Archive.Path, d.Archive.Path + ChecksumExt, d.Archive.Path + MetaExt} {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return decisions, fmt.Errorf("store: prune %s: %w", path, err)
			}
		}
	}
	return decisions, nil
}
