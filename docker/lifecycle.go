package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// Restart stops the container the way `docker restart` does (its stop signal, then
// SIGKILL after its stop timeout) and starts it again. It returns once the engine
// reports the container started; whether the program inside is ready is the
// caller's to check.
func (c *Client) Restart(ctx context.Context, container string) error {
	if _, err := c.api.ContainerRestart(ctx, container, client.ContainerRestartOptions{}); err != nil {
		return fmt.Errorf("docker: restart container %s: %w", container, err)
	}
	return nil
}
