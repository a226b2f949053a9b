package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// VolumeDriver returns the driver of the volume named name; an error that
// errdefs.IsNotFound recognises when Docker has no such volume.
func (c *Client) VolumeDriver(ctx context.Context, name string) (string, error) {
	res, err := c.api.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("docker: inspect volume %s: %w", name, err)
	}
	return res.Volume.Driver, nil
}
