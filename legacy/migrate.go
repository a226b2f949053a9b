package legacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/store"
)

// MigrateOptions say where and how Ruby-era archives are rewritten.
type MigrateOptions struct {
	Dest  string        // the store's root (may be the Ruby tool's directory itself)
	Keys  []Key         // open the Ruby tool's encrypted archives
	Store store.Options // the new archives' compression (zstd when empty) and encryption
	// Identities open the new archives when Store encrypts them, so that each is
	// read back and compared with the original before anything else happens.
	Identities []age.Identity
	// RemoveOriginals deletes an original archive and its .meta once its new
	// archive has been read back whole and found identical. Off, originals stay.
	RemoveOriginals bool
	// Rename maps a Ruby-era name to the store's (which allows fewer characters);
	// nil maps it as the baktainer.name label's value is (Archive.BackupName).
	Rename func(string) (string, error)
}

// Action is what Migrate did with one archive.
type Action string

// The actions.
const (
	Migrated        Action = "migrated"
	AlreadyMigrated Action = "already migrated"
	Failed          Action = "failed"
)

// MigrateResult reports one archive.
type MigrateResult struct {
	Source  string // the Ruby-era archive
	Action  Action
	Archive string // the store archive holding its dump
	// ReadBack says the new archive was opened and its dump compared with the
	// original's, byte for byte (by SHA-256 and length).
	ReadBack bool
	Removed  bool // the original and its .meta were deleted
	Detail   string
	Err      error
}

// Migrate rewrites Ruby-era archives into the store's format, one at a time: each
// is verified first (Open), its dump streamed through store.Create (a new archive
// named after it, at its time, never overwriting anything), and the new archive
// verified (its checksum and sidecars) and, when it can be opened, read back and
// compared with the original. An archive already migrated (a store archive of the
// same name and time holding the same dump) is not written again, so Migrate can
// run again after an interruption. Originals are kept unless RemoveOriginals, and
// then removed only after the read-back. The error is for the store as a whole.
func Migrate(ctx context.Context, archives []Archive, opts MigrateOptions) ([]MigrateResult, error) {
	if opts.RemoveOriginals && opts.Store.Encryption.Enabled() && len(opts.Identities) == 0 {
		return nil, errors.New("legacy: to remove the originals, give an identity that opens the new encrypted archives, so each is read back first")
	}
	existing, err := store.List(ctx, opts.Dest)
	if err != nil {
		return nil, fmt.Errorf("legacy: list the store at %s: %w", opts.Dest, err)
	}
	var results []MigrateResult
	for _, a := range archives {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res := migrateOne(ctx, a, opts, existing)
		if res.Err != nil {
			res.Action = Failed
		}
		results = append(results, res)
	}
	return results, nil
}

func migrateOne(ctx context.Context, a Archive, opts MigrateOptions, existing []store.Archive) MigrateResult {
	res := MigrateResult{Source: a.Path}
	name := a.BackupName()
	if opts.Rename != nil {
		var err error
		if name, err = opts.Rename(a.Name); err != nil {
			res.Err = err
			return res
		}
	}
	d, err := Open(ctx, a, opts.Keys)
	if err != nil {
		res.Err = err
		return res
	}
	defer d.Close()
	if done, ok := findMigrated(ctx, existing, name, a.Created, d.Report, opts.Identities); ok {
		res.Action, res.Archive, res.ReadBack, res.Detail = AlreadyMigrated, done.path, done.readBack, done.detail
	} else {
		res.Action = Migrated
		if res.Archive, err = write(a, name, d, opts); err != nil {
			res.Err = err
			return res
		}
		check := readBack(ctx, res.Archive, d.Report, opts.Identities)
		res.ReadBack, res.Detail, res.Err = check.readBack, check.detail, check.err
		if res.Err != nil {
			return res
		}
	}
	if opts.RemoveOriginals && res.ReadBack {
		res.Err = Remove(a)
		res.Removed = res.Err == nil
	}
	return res
}

// write streams the verified dump into a new store archive.
func write(a Archive, name string, d *Dump, opts MigrateOptions) (string, error) {
	meta := store.Meta{Name: name, Container: a.Name, Engine: d.Report.Engine, Database: d.Report.Database, Created: a.Created}
	if a.Meta != nil && a.Meta.ContainerName != "" {
		meta.Container = a.Meta.ContainerName
	}
	p, err := store.Create(opts.Dest, meta, "sql", opts.Store)
	if err != nil {
		return "", err
	}
	if _, err := io.CopyBuffer(p, d, make([]byte, 256<<10)); err != nil {
		p.Abort()
		return "", err
	}
	path, _, err := p.Commit()
	return path, err
}

// check is the outcome of reading a store archive back.
type check struct {
	path     string
	readBack bool
	detail   string
	err      error
}

// readBack verifies a store archive's checksum and sidecars and, when it can open
// it, compares its dump with the Ruby-era archive's.
func readBack(ctx context.Context, path string, want Report, ids []age.Identity) check {
	meta, err := store.Verify(ctx, path)
	if err != nil {
		return check{path: path, err: err}
	}
	if meta.DumpSize != want.DumpSize {
		return check{path: path, err: fmt.Errorf("%w: %s holds %d dump bytes, the original %d", store.ErrDamaged, path, meta.DumpSize, want.DumpSize)}
	}
	if meta.Encrypted() && len(ids) == 0 {
		return check{path: path, detail: "checksum verified; not read back: it is encrypted and no identity was given"}
	}
	sum := sha256.New()
	if _, err := store.VerifyDeep(ctx, path, sum, ids...); err != nil {
		return check{path: path, err: err}
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != want.DumpSHA256 {
		return check{path: path, err: fmt.Errorf("%w: %s holds a dump with sha256 %s, the original's is %s", store.ErrDamaged, path, got, want.DumpSHA256)}
	}
	return check{path: path, readBack: true, detail: "read back: the same dump"}
}

// findMigrated looks for a store archive of the same name and time that holds the
// same dump: the same length, and the same bytes when it can be opened.
func findMigrated(ctx context.Context, existing []store.Archive, name string, created time.Time, want Report, ids []age.Identity) (check, bool) {
	for _, e := range existing {
		if e.Meta.Name != name || !e.Meta.Created.Equal(created) || e.Meta.DumpSize != want.DumpSize {
			continue
		}
		if c := readBack(ctx, e.Path, want, ids); c.err == nil {
			return c, true
		}
	}
	return check{}, false
}

// Remove deletes exactly a Ruby-era archive and its .meta, archive first (as the
// store's Prune does): for Migrate, and for retention treating these archives like
// the store's own of the same name.
func Remove(a Archive) error {
	if err := os.Remove(a.Path); err != nil {
		return fmt.Errorf("legacy: remove the original: %w", err)
	}
	if err := os.Remove(a.Path + MetaExt); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("legacy: remove the original's .meta: %w", err)
	}
	return nil
}
