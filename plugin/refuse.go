package plugin

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"
)

// Refusing is the volume driver of a plugin that cannot start (a bad setting,
// another data mount than its own, a damaged record): instead of exiting, which
// the engine would only report as a socket that never appeared, it refuses what
// would use or change a volume — Create, Mount, Unmount, Remove — with the
// reason, so that `docker volume ...` and `docker run` show it.
//
// It keeps answering List, Get and Path for the volumes it holds. The engine
// asks a volume's driver Get before it uses the volume, and forgets a volume the
// driver does not answer for: `docker run -v NAME:/x` would then make a local
// volume NAME and write into it, and the name would stay taken by it after the
// plugin is fixed. What it holds is read once, at start, writing nothing: from
// the records when the data mount is the plugin's own, else (another data mount,
// whose records are not its volumes') from the roster of names it keeps on its
// propagated mount (roster.go).
type Refusing struct {
	reason error
	held   map[string]heldVolume
	log    *logrus.Entry
}

var _ volume.Driver = (*Refusing)(nil)

// heldVolume is what a refusing plugin says about a volume it holds.
type heldVolume struct {
	created    time.Time
	rawOptions map[string]string
	mounts     int
	problem    string // why its record could not be read, if it could not
}

// NewRefusing reads the volumes cfg's data mount (or the roster on cfg's
// propagated mount) holds and refuses their use with reason.
func NewRefusing(reason error, cfg Config) *Refusing {
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	held, from, err := readHeld(cfg.DataDir, cfg.MountDir)
	log := cfg.Log.WithField("volumes_from", from)
	if err != nil {
		log.WithError(err).Error("cannot tell which volumes this plugin holds: the engine may forget them while it refuses")
	} else {
		log.WithField("volumes", len(held)).Info("answering for the volumes it holds, refusing their use")
	}
	return &Refusing{reason: reason, held: held, log: cfg.Log}
}

// readHeld reads, without writing, which volumes the plugin holds, and says from where.
func readHeld(dataDir, mountDir string) (map[string]heldVolume, string, error) {
	held := map[string]heldVolume{}
	if ours, err := dataMountOurs(dataDir, mountDir); err != nil || !ours {
		names, rerr := readRoster(mountDir)
		for _, name := range names {
			if CheckName(name) == nil {
				held[name] = heldVolume{problem: "its data mount is not mounted"}
			}
		}
		if err == nil {
			err = rerr
		}
		return held, "roster", err
	}
	files, _, err := recordFiles(dataDir)
	if err != nil {
		return held, "records", err
	}
	for name, path := range files {
		if CheckName(name) != nil {
			continue
		}
		r, err := readRecord(path, name)
		if err != nil {
			held[name] = heldVolume{problem: err.Error()}
			continue
		}
		held[name] = heldVolume{created: r.Created, rawOptions: r.Options, mounts: len(r.Mounts)}
	}
	return held, "records", nil
}

// Handler returns the protocol's HTTP handler, as Driver's.
func (r *Refusing) Handler() *volume.Handler { return volume.NewHandler(r) }

func (r *Refusing) refuse(op, name string) error {
	r.log.WithFields(logrus.Fields{"op": op, "volume": name}).WithError(r.reason).Warn("volume request refused")
	return r.reason
}

func (r *Refusing) lookup(name string) (heldVolume, error) {
	h, ok := r.held[name]
	if !ok {
		return heldVolume{}, fmt.Errorf("volume %s: %w", name, ErrNotFound)
	}
	return h, nil
}

func (r *Refusing) describe(name string, h heldVolume) *volume.Volume {
	status := map[string]any{"mounts": h.mounts, "unavailable": r.reason.Error()}
	if len(h.rawOptions) > 0 {
		status["options"] = h.rawOptions
	}
	if h.problem != "" {
		status["problem"] = h.problem
	}
	v := &volume.Volume{Name: name, Status: status}
	if !h.created.IsZero() {
		v.CreatedAt = h.created.UTC().Format(time.RFC3339)
	}
	return v
}

// Create implements volume.Driver: refused.
func (r *Refusing) Create(req *volume.CreateRequest) error { return r.refuse("create", req.Name) }

// List implements volume.Driver: the volumes it holds.
func (r *Refusing) List() (*volume.ListResponse, error) {
	res := &volume.ListResponse{Volumes: make([]*volume.Volume, 0, len(r.held))}
	for _, name := range slices.Sorted(maps.Keys(r.held)) {
		res.Volumes = append(res.Volumes, r.describe(name, r.held[name]))
	}
	return res, nil
}

// Get implements volume.Driver: a volume it holds, with why it cannot be used.
func (r *Refusing) Get(req *volume.GetRequest) (*volume.GetResponse, error) {
	h, err := r.lookup(req.Name)
	if err != nil {
		return nil, err
	}
	return &volume.GetResponse{Volume: r.describe(req.Name, h)}, nil
}

// Remove implements volume.Driver: refused.
func (r *Refusing) Remove(req *volume.RemoveRequest) error { return r.refuse("remove", req.Name) }

// Path implements volume.Driver: nothing is mounted while it refuses.
func (r *Refusing) Path(req *volume.PathRequest) (*volume.PathResponse, error) {
	if _, err := r.lookup(req.Name); err != nil {
		return nil, err
	}
	return &volume.PathResponse{}, nil
}

// Mount implements volume.Driver: refused.
func (r *Refusing) Mount(req *volume.MountRequest) (*volume.MountResponse, error) {
	return nil, r.refuse("mount", req.Name)
}

// Unmount implements volume.Driver: refused, since it would change the volume's
// record, which a refusing plugin never does. The mount ID stays recorded, as
// after a killed daemon (docs/PLUGIN.md, "Known limit").
func (r *Refusing) Unmount(req *volume.UnmountRequest) error { return r.refuse("unmount", req.Name) }

// Capabilities implements volume.Driver, as Driver's.
func (r *Refusing) Capabilities() *volume.CapabilitiesResponse {
	return &volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "local"}}
}
