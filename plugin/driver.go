package plugin

import (
	"context"
	"errors"
	"time"

	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"
)

// RequestTimeout bounds each volume driver request. The engine gives up on a
// plugin call after about 30 seconds; answering first keeps its error ours.
const RequestTimeout = 25 * time.Second

// Driver serves Volumes over Docker's volume plugin protocol
// (docker.volumedriver/1.0). It is the edge: the helper's methods have no
// context, so each request gets one here, bounded by RequestTimeout and ended
// with the plugin; errors become the protocol's Err strings only here.
type Driver struct {
	vols *Volumes
	base context.Context
	log  *logrus.Entry
}

var _ volume.Driver = (*Driver)(nil)

// NewDriver serves vols until ctx ends.
func NewDriver(ctx context.Context, vols *Volumes, log *logrus.Entry) *Driver {
	return &Driver{vols: vols, base: ctx, log: log}
}

// Handler returns the protocol's HTTP handler; serve it with its Serve,
// ServeUnix (the plugin socket) or any net.Listener.
func (d *Driver) Handler() *volume.Handler { return volume.NewHandler(d) }

func (d *Driver) request() (context.Context, context.CancelFunc) {
	return context.WithTimeout(d.base, RequestTimeout)
}

// done logs the outcome of a request. Failures are logged at warning level: most
// are the user's (a typo in a name, a volume still in use) and the engine shows
// the same message to them.
func (d *Driver) done(op, name string, fields logrus.Fields, err error) error {
	log := d.log.WithFields(fields).WithFields(logrus.Fields{"op": op, "volume": name})
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound) && (op == "get" || op == "path"):
		// The engine asks every volume driver about every volume it does not
		// know yet (each anonymous volume, too): not ours is the normal answer.
		log.WithError(err).Debug("volume request failed")
		return err
	default:
		log.WithError(err).Warn("volume request failed")
		return err
	}
	log.Debug("volume request done")
	return nil
}

// Create implements volume.Driver.
func (d *Driver) Create(r *volume.CreateRequest) error {
	ctx, cancel := d.request()
	defer cancel()
	_, err := d.vols.Create(ctx, r.Name, r.Options)
	if err == nil {
		d.log.WithFields(logrus.Fields{"volume": r.Name, "options": r.Options}).Info("volume created")
	}
	return d.done("create", r.Name, nil, err)
}

// List implements volume.Driver.
func (d *Driver) List() (*volume.ListResponse, error) {
	ctx, cancel := d.request()
	defer cancel()
	infos, err := d.vols.List(ctx)
	if err != nil {
		return nil, d.done("list", "", nil, err)
	}
	res := &volume.ListResponse{Volumes: make([]*volume.Volume, 0, len(infos))}
	for _, i := range infos {
		res.Volumes = append(res.Volumes, toVolume(i))
	}
	return res, nil
}

// Get implements volume.Driver.
func (d *Driver) Get(r *volume.GetRequest) (*volume.GetResponse, error) {
	ctx, cancel := d.request()
	defer cancel()
	i, err := d.vols.Get(ctx, r.Name)
	if err != nil {
		return nil, d.done("get", r.Name, nil, err)
	}
	return &volume.GetResponse{Volume: toVolume(i)}, nil
}

// Remove implements volume.Driver.
func (d *Driver) Remove(r *volume.RemoveRequest) error {
	ctx, cancel := d.request()
	defer cancel()
	err := d.vols.Remove(ctx, r.Name)
	if err == nil {
		d.log.WithField("volume", r.Name).Info("volume removed")
	}
	return d.done("remove", r.Name, nil, err)
}

// Path implements volume.Driver: the mount point while mounted, else "".
func (d *Driver) Path(r *volume.PathRequest) (*volume.PathResponse, error) {
	ctx, cancel := d.request()
	defer cancel()
	i, err := d.vols.Get(ctx, r.Name)
	if err != nil {
		return nil, d.done("path", r.Name, nil, err)
	}
	return &volume.PathResponse{Mountpoint: i.Mountpoint}, nil
}

// Mount implements volume.Driver.
func (d *Driver) Mount(r *volume.MountRequest) (*volume.MountResponse, error) {
	ctx, cancel := d.request()
	defer cancel()
	path, err := d.vols.Mount(ctx, r.Name, r.ID)
	if err != nil {
		return nil, d.done("mount", r.Name, logrus.Fields{"mount_id": r.ID}, err)
	}
	d.log.WithFields(logrus.Fields{"volume": r.Name, "mount_id": r.ID}).Info("volume mounted")
	return &volume.MountResponse{Mountpoint: path}, nil
}

// Unmount implements volume.Driver.
func (d *Driver) Unmount(r *volume.UnmountRequest) error {
	ctx, cancel := d.request()
	defer cancel()
	err := d.vols.Unmount(ctx, r.Name, r.ID)
	if err == nil {
		d.log.WithFields(logrus.Fields{"volume": r.Name, "mount_id": r.ID}).Info("volume unmounted")
	}
	return d.done("unmount", r.Name, logrus.Fields{"mount_id": r.ID}, err)
}

// Capabilities implements volume.Driver: backup volumes are local to a node.
func (d *Driver) Capabilities() *volume.CapabilitiesResponse {
	return &volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "local"}}
}

// toVolume is what `docker volume inspect` shows under Status.
func toVolume(i VolumeInfo) *volume.Volume {
	status := map[string]any{"mounts": i.Mounts, "path_on_data_mount": volumesDir + "/" + i.Name}
	if len(i.RawOptions) > 0 {
		status["options"] = i.RawOptions
	}
	return &volume.Volume{
		Name:       i.Name,
		Mountpoint: i.Mountpoint,
		CreatedAt:  i.Created.UTC().Format(time.RFC3339),
		Status:     status,
	}
}
