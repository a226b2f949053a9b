package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Destinations decides where each target's archives go. Standalone mode uses one
// directory (Directory); the managed plugin routes each target to a backup volume
// (baktainer.volume, else its default volume).
type Destinations interface {
	// Root returns the directory archives of t are written under, as
	// <root>/<name>/<date>/...; it may create what it needs (a default volume on
	// first use). The error names the target's container and label when they are
	// at fault.
	Root(ctx context.Context, t engines.Target) (string, error)
	// Describe says where t's archives would go, for plans and status, without
	// creating anything (e.g. "volume pgdata" or a directory path).
	Describe(t engines.Target) string
	// Locate says, without creating anything, which destination t's archives go
	// to: a name two targets share exactly when their archives share a tree
	// (e.g. "volume pgdata"), and an error naming the container and the label
	// when they cannot be written there (a volume that does not exist and will
	// not be created). The name is given even with the error.
	Locate(ctx context.Context, t engines.Target) (string, error)
	// Roots lists every root that exists now: the agent cleans up crashed writers'
	// leftovers in each at start, and status reports on them.
	Roots(ctx context.Context) ([]string, error)
}

// Directory is the standalone destination: every archive under one directory
// (BT_BACKUP_DIR). The baktainer.volume label has no meaning here.
type Directory struct {
	Dir string
}

var _ Destinations = Directory{}

// Root implements Destinations.
func (d Directory) Root(_ context.Context, t engines.Target) (string, error) {
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return "", fmt.Errorf("backup directory %s: %w", d.Dir, err)
	}
	return d.Dir, nil
}

// Describe implements Destinations.
func (d Directory) Describe(t engines.Target) string {
	where := filepath.Join(d.Dir, backupName(t))
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

// backupName is the name archives of t are filed under.
func backupName(t engines.Target) string {
	if t.Spec.Name != "" {
		return t.Spec.Name
	}
	return t.Container.Name
}
