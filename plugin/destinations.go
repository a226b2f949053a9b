package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Destinations routes each backup target's archives to a backup volume: the one
// its baktainer.volume label names, else the default volume (BT_DEFAULT_VOLUME),
// created on first use. It has the method set of the agent's Destinations, so
// the agent in the plugin uses it as is.
type Destinations struct {
	Volumes *Volumes
	Default string
}

// Root returns the root archives of t go under. A label naming a volume that
// does not exist is the container's error, naming the label: volumes are created
// by their owner (with their options), never guessed from a typo.
func (d Destinations) Root(ctx context.Context, t engines.Target) (string, error) {
	info, err := d.volume(ctx, t)
	if err != nil {
		return "", err
	}
	return info.Root, nil
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

// Describe says where t's archives go, without creating anything.
func (d Destinations) Describe(t engines.Target) string {
	if t.Spec.Volume != "" {
		return "volume " + t.Spec.Volume
	}
	return "volume " + d.Default + " (default)"
}

// Roots lists the root of every backup volume.
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
