package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// The labels that mark a scratch container as baktainer's, so that one left behind
// (its owner killed) is found and removed by Sweep.
const (
	// LabelScratch is "true" on every scratch container.
	LabelScratch = "baktainer.scratch"
	// LabelDeadline is when the test-restore that started it gives up (RFC 3339):
	// past it, any Sweep removes the container.
	LabelDeadline = "baktainer.scratch.deadline"
	// LabelOwner names who started it ("agent", "cli"): a Sweep by the same
	// owner (a restarted agent) removes it at once.
	LabelOwner = "baktainer.scratch.owner"
	// LabelArchive names the archive it tests, for people looking at docker ps.
	LabelArchive = "baktainer.scratch.archive"
)

// Host is the Docker engine as the drill needs it: scratch containers' lifecycle,
// and running the engines' tools in them. *DockerHost implements it.
type Host interface {
	engines.Runtime
	// Inspect returns a container as the engines see it (its environment).
	Inspect(ctx context.Context, id string) (docker.Container, error)
	// ImageExists reports whether the engine has the image (by name or ID).
	ImageExists(ctx context.Context, image string) (bool, error)
	// CreateScratch creates (not starts) a container as spec says and returns its ID.
	CreateScratch(ctx context.Context, spec ScratchSpec) (string, error)
	// Start starts a container.
	Start(ctx context.Context, id string) error
	// Isolation returns the container's network mode and the networks it is on.
	Isolation(ctx context.Context, id string) (mode string, networks []string, running bool, err error)
	// Remove force-removes a container with its anonymous volumes; a container
	// already gone is no error.
	Remove(ctx context.Context, id string) error
	// ListScratch lists every container (running or not) labelled LabelScratch.
	ListScratch(ctx context.Context) ([]Leftover, error)
}

// ScratchSpec is one scratch container to create.
type ScratchSpec struct {
	Name       string
	Image      string
	Env        []string
	Entrypoint []string
	Cmd        []string
	Labels     map[string]string
	Memory     int64 // bytes; also the limit with swap
	Pids       int64
}

// Leftover is a scratch container found by ListScratch.
type Leftover struct {
	ID, Name string
	Labels   map[string]string
}

// scratchName returns a fresh container name for engine.
func scratchName(engine string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "baktainer-scratch-" + engine + "-" + hex.EncodeToString(b)
}

// Sweep removes the scratch containers (and their volumes) that no test-restore
// will remove: those past their deadline, those whose deadline cannot be read, and
// with owner set, those of that owner (its earlier run is gone). It returns the
// names removed; one it could not remove is in the error, the rest are still tried.
func Sweep(ctx context.Context, h Host, owner string, now time.Time) ([]string, error) {
	found, err := h.ListScratch(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range found {
		deadline, perr := time.Parse(time.RFC3339, c.Labels[LabelDeadline])
		mine := owner != "" && c.Labels[LabelOwner] == owner
		if perr == nil && now.Before(deadline) && !mine {
			continue // a test-restore in progress
		}
		if err := h.Remove(ctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("scratch container %s: %w", c.Name, err))
			continue
		}
		removed = append(removed, c.Name)
	}
	return removed, errors.Join(errs...)
}

// DockerHost is Host on a Docker engine: the docker package's client, and its
// Engine API for the calls that package does not wrap.
type DockerHost struct {
	*docker.Client
}

var _ Host = (*DockerHost)(nil)

// ImageExists implements Host.
func (d *DockerHost) ImageExists(ctx context.Context, image string) (bool, error) {
	_, err := d.API().ImageInspect(ctx, image)
	switch {
	case err == nil:
		return true, nil
	case errdefs.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("docker: inspect image %s: %w", image, err)
}

// CreateScratch implements Host: no network at all (not even the default bridge),
// no published ports, no privileges gained through setuid, and memory and process
// limits. The image's volumes become anonymous volumes that Remove takes along.
func (d *DockerHost) CreateScratch(ctx context.Context, s ScratchSpec) (string, error) {
	pids := s.Pids
	created, err := d.API().ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: s.Name,
		Config: &container.Config{Image: s.Image, Env: s.Env, Entrypoint: s.Entrypoint, Cmd: s.Cmd, Labels: s.Labels,
			Hostname: "scratch"},
		HostConfig: &container.HostConfig{
			NetworkMode: "none",
			Resources:   container.Resources{Memory: s.Memory, MemorySwap: s.Memory, PidsLimit: &pids},
			SecurityOpt: []string{"no-new-privileges:true"},
		},
	})
	if err != nil {
		return "", fmt.Errorf("docker: create scratch container from %s: %w", s.Image, err)
	}
	return created.ID, nil
}

// Start implements Host.
func (d *DockerHost) Start(ctx context.Context, id string) error {
	if _, err := d.API().ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("docker: start scratch container: %w", err)
	}
	return nil
}

// Isolation implements Host.
func (d *DockerHost) Isolation(ctx context.Context, id string) (string, []string, bool, error) {
	res, err := d.API().ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", nil, false, fmt.Errorf("docker: inspect scratch container: %w", err)
	}
	c := res.Container
	mode := ""
	if c.HostConfig != nil {
		mode = string(c.HostConfig.NetworkMode)
	}
	var networks []string
	if c.NetworkSettings != nil {
		for name := range c.NetworkSettings.Networks {
			networks = append(networks, name)
		}
	}
	return mode, networks, c.State != nil && c.State.Running, nil
}

// Remove implements Host.
func (d *DockerHost) Remove(ctx context.Context, id string) error {
	_, err := d.API().ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("docker: remove scratch container: %w", err)
	}
	return nil
}

// ListScratch implements Host.
func (d *DockerHost) ListScratch(ctx context.Context) ([]Leftover, error) {
	filters := make(client.Filters)
	filters.Add("label", LabelScratch+"=true")
	listed, err := d.API().ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("docker: list scratch containers: %w", err)
	}
	var out []Leftover
	for _, s := range listed.Items {
		name := s.ID
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		out = append(out, Leftover{ID: s.ID, Name: name, Labels: s.Labels})
	}
	return out, nil
}
