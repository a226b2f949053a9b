package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// Destinations decides where each target's archives go and with which settings:
// one interface for every kind of destination, with nothing optional a caller
// would have to type-assert for. Standalone mode uses one directory (Directory);
// the managed plugin routes each target to a backup volume (baktainer.volume,
// else its default volume). An off-host copy (issue #16: S3) rides on an opened
// destination as its Offsite.
type Destinations interface {
	// Open returns where t's next archive goes and with which settings, and
	// holds the destination until the Destination's Release is called (after
	// the archive is committed and retention applied): a held backup volume is
	// not removed. It may create what it needs (the directory, a default volume
	// on first use). The error names t's container, and the label when that is
	// at fault; on error nothing is held.
	Open(ctx context.Context, t engines.Target) (Destination, error)
	// Describe says where t's archives would go, for plans and status, without
	// creating anything (e.g. "volume pgdata" or a directory path).
	Describe(t engines.Target) string
	// Locate says, without creating anything, which destination t's archives go
	// to: a name two targets share exactly when their archives share a tree
	// (e.g. "volume pgdata"), and an error naming the container and the label
	// when they cannot be written there (a volume that does not exist and will
	// not be created). The name is given even with the error.
	Locate(ctx context.Context, t engines.Target) (string, error)
	// Roots lists every root that exists now: the agent cleans up crashed
	// writers' leftovers in each at start, and status reports on them.
	Roots(ctx context.Context) ([]string, error)
}

// Destination is an opened destination of one backup.
type Destination struct {
	// Root is the directory the archive goes under, as <root>/<name>/<date>/....
	Root string
	// Retention overrides BT_RETENTION_* for the archives here; the target's
	// own baktainer.retention.* labels win over it. Nil fields are not set.
	Retention labels.Retention
	// Encryption, when not nil, replaces BT_ENCRYPTION_* for the archives here.
	Encryption *store.Encryption
	// FreeSpaceFloor, when not nil, replaces BT_FREE_SPACE_FLOOR for the
	// archives written here (floor.go).
	FreeSpaceFloor *parse.Floor
	// Offsite, when not nil, is where the archives written here are copied off
	// the host once committed (agent/offsite.go).
	Offsite Offsite
	// OffsiteRetention overrides, rule by rule, the policy of the remote copies
	// (which is the local one, then BT_S3_RETENTION_*); nil fields are not set.
	OffsiteRetention labels.Retention
	// Release ends the hold Open took; nil when Open held nothing.
	Release func()
	// Volume is the backup volume Root is, "" for a directory; HostRoot is
	// Root's path on the host, "" when unknown. Notifications and the CLI name
	// archives by them (location.go).
	Volume, HostRoot string
}

// Directory is the standalone destination: every archive under one directory
// (BT_BACKUP_DIR), with the agent's own settings, and copied off the host to
// Offsite when set (BT_S3_*). The baktainer.volume label has no meaning here.
type Directory struct {
	Dir     string
	Offsite Offsite
}

var _ Destinations = Directory{}

// Open implements Destinations: the directory, created when missing. Nothing
// is held.
func (d Directory) Open(_ context.Context, _ engines.Target) (Destination, error) {
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return Destination{}, fmt.Errorf("backup directory %s: %w", d.Dir, err)
	}
	return Destination{Root: d.Dir, Offsite: d.Offsite}, nil
}

// Describe implements Destinations.
func (d Directory) Describe(t engines.Target) string {
	where := filepath.Join(d.Dir, BackupName(t))
	if t.Spec.Volume != "" {
		where += fmt.Sprintf(" (label %s=%s ignored outside the plugin)", labels.Volume, t.Spec.Volume)
	}
	return where
}

// Locate implements Destinations: every archive goes under the one directory,
// created when needed.
func (d Directory) Locate(context.Context, engines.Target) (string, error) { return d.Dir, nil }

// Roots implements Destinations.
func (d Directory) Roots(context.Context) ([]string, error) { return []string{d.Dir}, nil }

// open opens t's destination; its Release is never nil.
func (a *Agent) open(ctx context.Context, t engines.Target) (Destination, error) {
	d, err := a.dests.Open(ctx, t)
	if err != nil {
		if d.Release != nil { // a careless implementation: hold nothing on error
			d.Release()
		}
		return Destination{}, err
	}
	if d.Release == nil {
		d.Release = func() {}
	}
	return d, nil
}

// options are the store options of an archive written to d.
func (a *Agent) options(d Destination) store.Options {
	opts := store.Options{Compression: a.cfg.Compression, Level: a.cfg.CompressionLevel, Encryption: a.cfg.Encryption,
		MinFreeBytes: a.freeSpaceFloor(d), ReaderGroup: a.cfg.ArchiveGroup}
	if d.Encryption != nil {
		opts.Encryption = *d.Encryption
	}
	return opts
}

// policy is the retention of t's archives in d: the agent's, then the
// destination's overrides, then the target's labels.
func (a *Agent) policy(d Destination, t engines.Target) store.Policy {
	return a.cfg.Policy(d.Retention, t.Spec.Retention)
}
