package docker

import (
	"context"
	"fmt"
	"time"

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

// StopContainer stops a running container the way `docker stop` does: its stop
// signal, then SIGKILL after its stop timeout. It returns once it stopped.
func (c *Client) StopContainer(ctx context.Context, container string) error {
	if _, err := c.api.ContainerStop(ctx, container, client.ContainerStopOptions{}); err != nil {
		return fmt.Errorf("docker: stop container %s: %w", container, err)
	}
	return nil
}

// StartContainer starts a stopped container; starting a running one does
// nothing. Whether the program inside is ready is the caller's to check.
func (c *Client) StartContainer(ctx context.Context, container string) error {
	if _, err := c.api.ContainerStart(ctx, container, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("docker: start container %s: %w", container, err)
	}
	return nil
}

// settleTime is how long Exec gives the engine to report a container's death after
// a command in it died of a signal; failureSettleTime after it failed otherwise.
const (
	settleTime        = 3 * time.Second
	failureSettleTime = time.Second
)

// settledStartedAt is startedAt after a command ended. A failed command may be the
// first sign of its container being killed: the engine sees the command end
// before it marks the container exited, so the state is looked at again for a
// moment before the container is taken to be alive. A command killed by a signal
// (exit code above 128) gets settleTime; one that failed otherwise (a client whose
// server was killed first says "connection closed" and exits 1) failureSettleTime.
// A command that could not start (126, 127) or succeeded gets none.
func (c *Client) settledStartedAt(ctx context.Context, container, before string, code int) (string, error) {
	wait := time.Duration(0)
	switch {
	case code > 128:
		wait = settleTime
	case code != 0 && code != 126 && code != 127:
		wait = failureSettleTime
	}
	after, err := c.startedAt(ctx, container)
	for deadline := time.Now().Add(wait); err == nil && after == before && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		after, err = c.startedAt(ctx, container)
	}
	return after, err
}
