package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// labelPrefix starts every label baktainer reads.
const labelPrefix = "baktainer."

// ContainerOwnLabels returns c without the baktainer.* labels whose value comes
// from its image (the image carries the same label with the same value: Docker
// merges an image's labels into its containers, and keeps no record of which is
// which), and the names of the labels it took away. An image that cannot be
// inspected is an error: its labels cannot be told from the container's.
func ContainerOwnLabels(ctx context.Context, dc Docker, c docker.Container) (docker.Container, []string, error) {
	imageLabels, err := dc.ImageLabels(ctx, c.ImageID)
	if err != nil {
		return c, nil, fmt.Errorf("container %s: cannot tell its own labels from its image's: %w", c.Name, err)
	}
	var ignored []string
	c.Labels, ignored = withoutImageLabels(c.Labels, imageLabels)
	return c, ignored, nil
}

// withoutImageLabels returns the container's labels without the baktainer.* ones
// its image carries with the same value, and the names of those, sorted.
func withoutImageLabels(containerLabels, imageLabels map[string]string) (own map[string]string, ignored []string) {
	own = maps.Clone(containerLabels)
	for k, v := range containerLabels {
		if iv, ok := imageLabels[k]; ok && iv == v && strings.HasPrefix(k, labelPrefix) {
			delete(own, k)
			ignored = append(ignored, k)
		}
	}
	slices.Sort(ignored)
	return own, ignored
}

// ownLabels applies BT_REQUIRE_CONTAINER_LABELS to c: c with its image's
// baktainer labels taken away, and whether it still asks to be backed up. What
// it ignores is logged once per container.
func (a *Agent) ownLabels(ctx context.Context, c docker.Container) (docker.Container, bool) {
	if !a.cfg.RequireContainerLabels {
		return c, true
	}
	own, ignored, err := ContainerOwnLabels(ctx, a.dc, c)
	if err != nil {
		a.noteIgnored(c, err.Error())
		return c, false
	}
	target := !declined(own.Labels)
	switch {
	case !target:
		a.noteIgnored(c, imageOnlyProblem(c, ignored, nil))
	case len(ignored) > 0:
		a.noteIgnored(c, fmt.Sprintf("container %s: ignoring the labels its image %s sets (BT_REQUIRE_CONTAINER_LABELS=true): %s",
			c.Name, c.Image, strings.Join(ignored, ", ")))
	}
	return own, target
}

// noteIgnored logs, once per container, what BT_REQUIRE_CONTAINER_LABELS left out.
func (a *Agent) noteIgnored(c docker.Container, msg string) {
	a.mu.Lock()
	seen := a.ignored[c.ID]
	a.ignored[c.ID] = true
	a.mu.Unlock()
	if !seen {
		a.log.WithFields(logrus.Fields{"container": c.Name, "image": c.Image}).Warn(msg)
	}
}

// imageOnlyProblem says why a container is not a target under
// BT_REQUIRE_CONTAINER_LABELS, for plans.
func imageOnlyProblem(c docker.Container, ignored []string, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("container %s: not backed up: its %s label comes from its image %s, and BT_REQUIRE_CONTAINER_LABELS=true ignores image labels (ignored: %s)",
		c.Name, labels.Backup, c.Image, strings.Join(ignored, ", "))
}
