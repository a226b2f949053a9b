package agent

import (
	"context"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// Docker is what the agent asks of the Docker engine: everything a container
// controls comes through it, so it is one seam, faked in memory by the agent's
// unit tests (package fakedocker) and served by *docker.Client in production.
//
// Every method may fail with a connection error while the daemon is away; the
// agent classifies it (KindDocker) and retries or reconnects. None of them holds
// a lock of the agent's: they are called from the watch, the workers and HTTP
// requests alike, so implementations are safe for concurrent use.
type Docker interface {
	// Exec runs a command inside a container (engines.Execer): the dump.
	engines.Execer
	// Inspect returns one container by ID or name, with its labels, environment,
	// image ID, state and creation time. A container that does not exist is an
	// error for which errdefs.IsNotFound holds.
	Inspect(ctx context.Context, idOrName string) (docker.Container, error)
	// ListRunning returns the running containers that carry every given label
	// ("key=value" or "key"). Its entries have no environment, image ID or
	// creation time: Inspect has them.
	ListRunning(ctx context.Context, labels ...string) ([]docker.Container, error)
	// ImageLabels returns the labels an image carries (Docker merges them into
	// its containers' labels).
	ImageLabels(ctx context.Context, imageID string) (map[string]string, error)
	// ContainerEvents subscribes to the given actions of containers that carry
	// every given label. The subscription is in place when it returns, so a list
	// made afterwards misses nothing. When the stream breaks exactly one error
	// arrives on its Err channel (the context's when ctx ended) and nothing more
	// on either channel; a stream is never resumed.
	ContainerEvents(ctx context.Context, actions []string, labels ...string) docker.EventStream
	// StopContainer stops a running container as `docker stop` does and
	// returns once it stopped; StartContainer starts a stopped one (a running
	// one is left as it is). Only baktainer.stop_during_backup uses them
	// (stopgroup.go).
	StopContainer(ctx context.Context, id string) error
	StartContainer(ctx context.Context, id string) error
	// Ping reports whether the daemon answers.
	Ping(ctx context.Context) error
	// Version is what the daemon says of itself, for /status.
	Version(ctx context.Context) (docker.DaemonVersion, error)
	// Host is the daemon's address, for logs.
	Host() string
}

var _ Docker = (*docker.Client)(nil)
