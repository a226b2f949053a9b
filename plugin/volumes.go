package plugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Config says where Volumes keeps its volumes.
type Config struct {
	// DataDir is the plugin's data mount: volumes and their records live there.
	DataDir string
	// MountDir is the plugin's propagated mount: mounted volumes are bound there,
	// and the engine finds them under the same path on the host side.
	MountDir string
	Mounter  Mounter
	Log      *logrus.Entry
}

// Volumes is the set of backup volumes: what the volume driver serves, and what
// the agent routes archives to (Get, EnsureDefault, Hold). It is safe for
// concurrent use; every method that may block takes a context.
type Volumes struct {
	cfg  Config
	lock chan struct{} // a mutex that a context can give up on
	vols map[string]*vol
	// unadopted says, per directory under volumes/ that start-up could not
	// adopt as a volume, why (set by Open, read-only after).
	unadopted []string
}

// vol is one volume's live state.
type vol struct {
	rec      record
	opts     Options
	holds    int  // backups writing into it now (Hold)
	bound    bool // its bind mount exists under MountDir
	removing bool // Remove is at work on it, without the lock (remove.go)
}

// VolumeInfo describes a backup volume.
type VolumeInfo struct {
	Name    string
	Created time.Time
	// Root is the directory archives on this volume go under (a store root).
	Root string
	// Options are the validated create options; RawOptions as they were given.
	Options    Options
	RawOptions map[string]string
	// Mounts counts the containers' mounts of it now.
	Mounts int
	// Mountpoint is where it is mounted under the propagated mount, "" when not.
	Mountpoint string
}

// Open loads every volume's record from cfg.DataDir, adopts volume directories
// that lack one (a crash inside Create), and binds again the volumes that were
// mounted when the plugin last stopped, so the engine's paths stay valid.
func Open(ctx context.Context, cfg Config) (*Volumes, error) {
	if cfg.Mounter == nil {
		cfg.Mounter = BindMounter{}
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	for _, dir := range []string{filepath.Join(cfg.DataDir, volumesDir), filepath.Join(cfg.DataDir, stateDir), cfg.MountDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("plugin: %w", err)
		}
	}
	removeRosterLeftovers(cfg.MountDir)
	removeStaged(cfg.Mounter, cfg.MountDir)
	v := &Volumes{cfg: cfg, lock: make(chan struct{}, 1), vols: map[string]*vol{}}
	records, err := loadRecords(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	for _, r := range records {
		opts, err := ParseOptions(r.Options)
		if err != nil {
			return nil, fmt.Errorf("plugin: volume %s: stored options: %w", r.Name, err)
		}
		v.vols[r.Name] = &vol{rec: r, opts: opts}
	}
	if err := v.adoptOrphans(ctx); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(v.vols)) {
		if len(v.vols[name].rec.Mounts) > 0 {
			if err := v.ensureBound(name, v.vols[name]); err != nil {
				return nil, fmt.Errorf("plugin: volume %s was mounted when the plugin stopped: %w", name, err)
			}
		}
	}
	v.updateRoster()
	return v, nil
}

// updateRoster writes the volumes' names to the roster (roster.go). Call it with
// the lock held. A failure is logged, not returned: the roster only helps a
// plugin that will later refuse to start on another data mount.
func (v *Volumes) updateRoster() {
	if err := saveRoster(v.cfg.MountDir, slices.Collect(maps.Keys(v.vols))); err != nil {
		v.cfg.Log.WithError(err).Warn("cannot keep the roster of volumes on the propagated mount")
	}
}

// adoptOrphans gives a record to every volume directory without one. A
// directory it cannot adopt (a name that cannot be a volume's, a record that
// cannot be written) is skipped, logged and reported by CheckDirectories: one
// bad directory must not stop the plugin from serving every other volume.
func (v *Volumes) adoptOrphans(ctx context.Context) error {
	entries, err := os.ReadDir(filepath.Join(v.cfg.DataDir, volumesDir))
	if err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || v.vols[name] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		r := record{Name: name, Created: time.Now().UTC()}
		err := CheckName(name)
		if err == nil {
			err = saveRecord(v.cfg.DataDir, r)
		}
		if err != nil {
			v.unadopted = append(v.unadopted, fmt.Sprintf("%s/%.60q: not adopted as a volume: %v; rename it to a valid volume name, or move it out of %s",
				volumesDir, name, err, filepath.Join(v.cfg.DataDir, volumesDir)))
			v.cfg.Log.WithField("directory", name).WithError(err).Error("a volume directory without a record cannot be adopted; skipped")
			continue
		}
		v.vols[name] = &vol{rec: r}
		v.cfg.Log.WithField("volume", name).Warn("adopted a volume directory that had no state record")
	}
	return nil
}

// CheckDirectories fails, naming each, while directories under volumes/ could
// not be adopted at start: /health shows it (cmd/baktainer/plugin.go).
func (v *Volumes) CheckDirectories(context.Context) error {
	if len(v.unadopted) == 0 {
		return nil
	}
	return errors.New(strings.Join(v.unadopted, "; "))
}

// Root returns the directory the archives of volume name live under. It does not
// say whether the volume exists: use Get for that.
func (v *Volumes) Root(name string) string {
	return filepath.Join(v.cfg.DataDir, volumesDir, name)
}

func (v *Volumes) mountpoint(name string) string { return filepath.Join(v.cfg.MountDir, name) }

// acquire takes the lock, or gives up when ctx ends.
func (v *Volumes) acquire(ctx context.Context) (release func(), err error) {
	select {
	case v.lock <- struct{}{}:
		return func() { <-v.lock }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("plugin: waiting for the volume lock: %w", ctx.Err())
	}
}

func (v *Volumes) lookup(name string) (*vol, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	x := v.vols[name]
	if x == nil {
		return nil, fmt.Errorf("volume %s: %w", name, ErrNotFound)
	}
	return x, nil
}

// usable is lookup for what would start using or changing the volume: refused
// (ErrInUse) while it is being removed.
func (v *Volumes) usable(name string) (*vol, error) {
	x, err := v.lookup(name)
	if err == nil && x.removing {
		return nil, fmt.Errorf("volume %s is being removed: %w", name, ErrInUse)
	}
	return x, err
}

func (v *Volumes) info(x *vol) VolumeInfo {
	i := VolumeInfo{
		Name: x.rec.Name, Created: x.rec.Created, Root: v.Root(x.rec.Name),
		Options: x.opts, RawOptions: maps.Clone(x.rec.Options), Mounts: len(x.rec.Mounts),
	}
	if x.bound {
		i.Mountpoint = v.mountpoint(x.rec.Name)
	}
	return i
}

// Create makes a backup volume with the given create options. Creating a volume
// that exists with the same options is a no-op (the engine may ask twice); with
// other options it fails with ErrExists rather than ignore them silently.
func (v *Volumes) Create(ctx context.Context, name string, rawOptions map[string]string) (VolumeInfo, error) {
	if err := CheckName(name); err != nil {
		return VolumeInfo{}, err
	}
	opts, err := ParseOptions(rawOptions)
	if err != nil {
		return VolumeInfo{}, fmt.Errorf("volume %s: %w", name, err)
	}
	release, err := v.acquire(ctx)
	if err != nil {
		return VolumeInfo{}, err
	}
	defer release()
	if x := v.vols[name]; x != nil {
		if x.removing {
			return VolumeInfo{}, fmt.Errorf("volume %s is being removed: %w", name, ErrInUse)
		}
		if !maps.Equal(x.rec.Options, rawOptions) && len(rawOptions) > 0 {
			return VolumeInfo{}, otherOptionsError(name, x.rec.Options, rawOptions)
		}
		return v.info(x), nil
	}
	// The directory first: a crash before the record leaves a directory that the
	// next start adopts, never a record without its directory.
	if err := os.MkdirAll(v.Root(name), 0o750); err != nil {
		return VolumeInfo{}, fmt.Errorf("volume %s: %w", name, err)
	}
	r := record{Name: name, Created: time.Now().UTC().Truncate(time.Second)}
	if len(rawOptions) > 0 {
		r.Options = maps.Clone(rawOptions)
	}
	if err := saveRecord(v.cfg.DataDir, r); err != nil {
		return VolumeInfo{}, err
	}
	x := &vol{rec: r, opts: opts}
	v.vols[name] = x
	v.updateRoster()
	return v.info(x), nil
}

// EnsureDefault returns the volume name, creating it without options when it does
// not exist: archives of containers without a baktainer.volume label go there.
func (v *Volumes) EnsureDefault(ctx context.Context, name string) (VolumeInfo, error) {
	return v.Create(ctx, name, nil)
}

// Get describes one volume; ErrNotFound when there is none of that name.
func (v *Volumes) Get(ctx context.Context, name string) (VolumeInfo, error) {
	release, err := v.acquire(ctx)
	if err != nil {
		return VolumeInfo{}, err
	}
	defer release()
	x, err := v.lookup(name)
	if err != nil {
		return VolumeInfo{}, err
	}
	return v.info(x), nil
}

// List describes every volume, by name.
func (v *Volumes) List(ctx context.Context) ([]VolumeInfo, error) {
	release, err := v.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([]VolumeInfo, 0, len(v.vols))
	for _, name := range slices.Sorted(maps.Keys(v.vols)) {
		out = append(out, v.info(v.vols[name]))
	}
	return out, nil
}

// Check reports whether the volumes are usable: the lock can be taken and the
// data mount is there. The health endpoint calls it.
func (v *Volumes) Check(ctx context.Context) error {
	release, err := v.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := os.Stat(filepath.Join(v.cfg.DataDir, stateDir)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("plugin: the data mount %s lost its state directory: %w", v.cfg.DataDir, err)
		}
		return fmt.Errorf("plugin: %w", err)
	}
	return nil
}
