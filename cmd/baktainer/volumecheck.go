package main

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// volumeLookup is what checkBackupVolume needs of Docker.
type volumeLookup interface {
	VolumeDriver(ctx context.Context, name string) (string, error)
}

// checkBackupVolume says what is wrong with the backup volume a container's
// baktainer.volume label names: no such volume (a typo: the plugin would find no
// place to write, and nothing else would say so until the backups are overdue), or
// a volume of Docker's local driver (the plugin never writes there). Nil when the
// label is not set or names a volume of another driver (the plugin's, under
// whatever alias it was installed as).
func checkBackupVolume(ctx context.Context, dc volumeLookup, volume string) error {
	if volume == "" {
		return nil
	}
	driver, err := dc.VolumeDriver(ctx, volume)
	switch {
	case errdefs.IsNotFound(err):
		return fmt.Errorf("label %s: Docker has no volume %q: create it with `docker volume create -d baktainer %s`, or correct the label",
			labels.Volume, volume, volume)
	case err != nil:
		return fmt.Errorf("label %s: %w", labels.Volume, err)
	case driver == "local":
		return fmt.Errorf("label %s: volume %q belongs to Docker's local driver, not the baktainer plugin, which never writes there "+
			"(was it created while the plugin was away? see docs/PLUGIN.md)", labels.Volume, volume)
	}
	return nil
}

// volumeCheckedDirectory is the standalone directory destination for `plan`,
// which also reports a baktainer.volume label naming a volume the plugin could
// not write to, as the plugin's agent would.
type volumeCheckedDirectory struct {
	agent.Directory
	volumes volumeLookup
}

// Locate implements agent.Destinations.
func (d volumeCheckedDirectory) Locate(ctx context.Context, t engines.Target) (string, error) {
	where, err := d.Directory.Locate(ctx, t)
	if err == nil {
		err = checkBackupVolume(ctx, d.volumes, t.Spec.Volume)
	}
	return where, err
}
