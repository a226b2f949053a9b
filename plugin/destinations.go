package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Destinations routes each backup target's archives to a backup volume: the one
// its baktainer.volume label names, else the default volume (BT_DEFAULT_VOLUME),
// created on first use. It is the agent's Destinations in the plugin: a backup
// gets its volume's retention and encryption recipients, its copies off the
// host go where the plugin's BT_S3_* and the volume's s3.* options say, and it
// holds the volume while it writes (and copies), so `docker volume rm` is
// refused meanwhile.
type Destinations struct {
	Volumes *Volumes
	Default string
	// Remotes, when not nil, copy each volume's archives off the host
	// (BT_S3_*, the volume's s3.* options).
	Remotes *Remotes
}

var _ agent.Destinations = Destinations{}

// Open implements agent.Destinations: t's volume, held until Release, with the
// volume's create options as the backup's settings (the target's own
// baktainer.retention.* labels still win; the agent decides). A label naming a
// volume that does not exist is the container's error, naming the label:
// volumes are created by their owner (with their options), never guessed from a
// typo. The default volume is created on first use.
func (d Destinations) Open(ctx context.Context, t engines.Target) (agent.Destination, error) {
	found, err := d.volume(ctx, t)
	if err != nil {
		return agent.Destination{}, err
	}
	info, release, err := d.Volumes.Hold(ctx, found.Name)
	if err != nil { // removed in between
		return agent.Destination{}, fmt.Errorf("container %s: backup volume %s: %w", t.Container.Name, found.Name, err)
	}
	return agent.Destination{Root: info.Root, Retention: info.Options.Retention,
		Encryption: info.Options.Encryption, FreeSpaceFloor: info.Options.FreeSpaceFloor, Release: release,
		Offsite: d.Remotes.For(found.Name, info.Options), OffsiteRetention: info.Options.S3Retention,
		Volume: info.Name, HostRoot: hostPath(d.Volumes.cfg.DataDir, info.Root)}, nil
}

func (d Destinations) volume(ctx context.Context, t engines.Target) (VolumeInfo, error) {
	name := t.Spec.Volume
	if name == "" {
		info, err := d.Volumes.EnsureDefault(ctx, d.Default)
		if err != nil {
			return VolumeInfo{}, fmt.Errorf("container %s: default backup volume (BT_DEFAULT_VOLUME): %w", t.Container.Name, err)
		}
		return info, nil
	}
	info, err := d.Volumes.Get(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrInvalid):
		return VolumeInfo{}, fmt.Errorf("container %s: %w", t.Container.Name, &labels.Error{
			Label: labels.Volume, Value: name,
			Problem: "no such backup volume; create it with: docker volume create -d baktainer " + name,
		})
	case err != nil:
		return VolumeInfo{}, fmt.Errorf("container %s: backup volume %s: %w", t.Container.Name, name, err)
	}
	return info, nil
}

// Describe implements agent.Destinations: where t's archives go, without
// creating anything.
func (d Destinations) Describe(t engines.Target) string {
	if t.Spec.Volume != "" {
		return "volume " + t.Spec.Volume
	}
	return "volume " + d.Default + " (default)"
}

// Locate implements agent.Destinations: the volume t's archives go to, and an
// error when a labelled one does not exist (the default one is created on first
// use). It creates nothing.
func (d Destinations) Locate(ctx context.Context, t engines.Target) (string, error) {
	if t.Spec.Volume == "" {
		return "volume " + d.Default, nil
	}
	_, err := d.volume(ctx, t)
	return "volume " + t.Spec.Volume, err
}

// Roots implements agent.Destinations: the root of every backup volume.
func (d Destinations) Roots(ctx context.Context) ([]string, error) {
	infos, err := d.Volumes.List(ctx)
	if err != nil {
		return nil, err
	}
	roots := make([]string, 0, len(infos))
	for _, i := range infos {
		roots = append(roots, i.Root)
	}
	return roots, nil
}
