package drill

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"filippo.io/age"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// Source is an archive opened for a restore: what it says of itself, and its
// dump, verified as it streams (store archives: the checksum again at the end;
// Ruby-era archives: every byte authenticated before it is released).
type Source struct {
	Path     string
	Kind     string // KindArchive or KindLegacy
	Engine   string
	Database string          // as the backup named it: a name, "all", a file path
	Image    *store.ImageRef // nil when not recorded
	Contents *store.Contents // counted at backup; nil when not recorded
	DumpSize int64           // bytes of the dump, for progress
	SHA256   string          // of the archive file (its .sha256); "" for a Ruby-era archive
	Dump     io.ReadCloser
}

// The kinds of archive.
const (
	KindArchive = "archive"
	KindLegacy  = "Ruby-era archive"
)

// Keys opens archives: age identities for baktainer's own, the Ruby tool's keys
// for its archives.
type Keys struct {
	Identities []age.Identity
	Legacy     []legacy.Key
}

// IsLegacy reports whether path is named like a Ruby-era archive.
func IsLegacy(path string) bool {
	_, _, _, _, ok := legacy.ParseName(filepath.Base(path))
	return ok
}

// Open opens the archive at path for a restore; nothing is returned for an
// archive that does not verify.
func Open(ctx context.Context, path string, keys Keys) (*Source, error) {
	return OpenBelow(ctx, "", path, keys)
}

// OpenBelow is Open for an archive of the destination root: the directories
// from root down to it are not reached through a link ("": path as given).
// Ruby-era archives are found by a walk of their layout, which follows none.
func OpenBelow(ctx context.Context, root, path string, keys Keys) (*Source, error) {
	if IsLegacy(path) {
		return openLegacy(ctx, path, keys.Legacy)
	}
	var meta store.Meta
	var r io.ReadCloser
	var err error
	if root != "" {
		meta, r, err = store.OpenVerifiedBelow(ctx, root, path, keys.Identities...)
	} else {
		meta, r, err = store.OpenVerified(ctx, path, keys.Identities...)
	}
	if err != nil {
		return nil, err
	}
	return &Source{Path: path, Kind: KindArchive, Engine: meta.Engine, Database: meta.Database, Image: meta.Image,
		Contents: meta.Contents, DumpSize: meta.DumpSize, SHA256: meta.SHA256, Dump: r}, nil
}

// openLegacy finds the archive in its Ruby-era layout (ROOT/DAY/NAME-TIME.sql…)
// and opens it, verified whole before its first byte is released.
func openLegacy(ctx context.Context, path string, keys []legacy.Key) (*Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	archives, _, err := legacy.Find(ctx, filepath.Dir(filepath.Dir(abs)))
	if err != nil {
		return nil, err
	}
	for _, a := range archives {
		if a.Path != abs {
			continue
		}
		d, err := legacy.Open(ctx, a, keys)
		if err != nil {
			return nil, err
		}
		return &Source{Path: path, Kind: KindLegacy, Engine: d.Report.Engine, Database: d.Report.Database,
			DumpSize: d.Report.DumpSize, Dump: d}, nil
	}
	return nil, fmt.Errorf("%s: not a Ruby-era archive in its layout (ROOT/YYYY-MM-DD/NAME-UNIXTIME.sql[.gz][.encrypted], a regular file)", path)
}
