package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// Container is what baktainer needs to know of a container to back it up.
type Container struct {
	ID      string
	Name    string            // without the leading slash
	Image   string            // as the container was created from it (a name, or an ID)
	ImageID string            // the image's ID; Inspect only
	Labels  map[string]string // the container's, merged by Docker with its image's
	Env     map[string]string // the container's configured environment
	Running bool
	Created time.Time // when the container was created; Inspect only
}

// Inspect returns the container named by ID or name.
func (c *Client) Inspect(ctx context.Context, idOrName string) (Container, error) {
	inspected, err := c.api.ContainerInspect(ctx, idOrName, client.ContainerInspectOptions{})
	if err != nil {
		return Container{}, fmt.Errorf("docker: inspect container %s: %w", idOrName, err)
	}
	ic := inspected.Container
	out := Container{
		ID:      ic.ID,
		Name:    strings.TrimPrefix(ic.Name, "/"),
		ImageID: ic.Image,
		Running: ic.State != nil && ic.State.Running,
		Env:     map[string]string{},
	}
	out.Created, _ = time.Parse(time.RFC3339Nano, ic.Created) // zero when the engine says nothing usable
	if ic.Config != nil {
		out.Image = ic.Config.Image
		out.Labels = ic.Config.Labels
		out.Env = parseEnv(ic.Config.Env)
	}
	return out, nil
}

// ListRunning returns the running containers that carry every given label
// ("key=value" or "key").
func (c *Client) ListRunning(ctx context.Context, labels ...string) ([]Container, error) {
	filters := make(client.Filters)
	if len(labels) > 0 {
		filters.Add("label", labels...)
	}
	listed, err := c.api.ContainerList(ctx, client.ContainerListOptions{Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("docker: list containers: %w", err)
	}
	out := make([]Container, 0, len(listed.Items))
	for _, s := range listed.Items {
		name := s.ID
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		out = append(out, Container{ID: s.ID, Name: name, Image: s.Image, Labels: s.Labels, Running: true})
	}
	return out, nil
}

// ImageLabels returns the labels an image carries (its LABEL instructions): Docker
// merges them into every container made from it.
func (c *Client) ImageLabels(ctx context.Context, imageID string) (map[string]string, error) {
	inspected, err := c.api.ImageInspect(ctx, imageID)
	if err != nil {
		return nil, fmt.Errorf("docker: inspect image %s: %w", imageID, err)
	}
	if inspected.Config == nil {
		return map[string]string{}, nil
	}
	return inspected.Config.Labels, nil
}

func parseEnv(pairs []string) map[string]string {
	env := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}
