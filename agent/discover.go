package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// BackupLabel selects the containers baktainer backs up.
const BackupLabel = labels.Backup + "=true"

// Resolve inspects one container and turns its labels into a target and its engine.
// Every label problem is reported, each naming the container and the label.
func Resolve(ctx context.Context, dc Docker, reg *engines.Registry, nameOrID string) (engines.Target, engines.Engine, error) {
	c, err := dc.Inspect(ctx, nameOrID)
	if err != nil {
		return engines.Target{}, nil, err
	}
	return resolveContainer(c, reg)
}

// resolve is Resolve with the agent's BT_REQUIRE_CONTAINER_LABELS applied.
func (a *Agent) resolve(ctx context.Context, id string) (engines.Target, engines.Engine, error) {
	c, err := a.dc.Inspect(ctx, id)
	if err != nil {
		return engines.Target{}, nil, err
	}
	own, ok := a.ownLabels(ctx, c)
	if !ok {
		return engines.Target{Container: c}, nil, fmt.Errorf("container %s: %w", c.Name, &labels.Error{Label: labels.Backup,
			Problem: "comes from the container's image only, and BT_REQUIRE_CONTAINER_LABELS=true ignores image labels"})
	}
	return resolveContainer(own, a.engines)
}

// resolveContainer turns an inspected container's labels into a target and its
// engine. On label problems it still returns the target (with what parsed) so the
// caller can report them against the container.
func resolveContainer(c docker.Container, reg *engines.Registry) (engines.Target, engines.Engine, error) {
	spec, err := labels.Parse(c.Labels)
	var problems []error
	if err != nil {
		problems = append(problems, err)
	}
	var eng engines.Engine
	if _, ok := c.Labels[labels.Engine]; !ok {
		problems = append(problems, &labels.Error{Label: labels.Engine, Problem: "is missing; say which database this container runs"})
	} else if spec.Engine != "" {
		if eng, err = reg.Lookup(spec.Engine); err != nil {
			problems = append(problems, err)
		} else if err := eng.Validate(spec); err != nil {
			problems = append(problems, err)
		}
	}
	t := engines.Target{Container: c, Spec: spec}
	if len(problems) > 0 {
		return t, nil, fmt.Errorf("container %s: %w", c.Name, errors.Join(problems...))
	}
	return t, eng, nil
}

// ListTargets returns the running containers labelled baktainer.backup=true, plus
// any extra label selectors (used to scope an agent, e.g. to one test run).
func ListTargets(ctx context.Context, dc Docker, selectors ...string) ([]docker.Container, error) {
	return dc.ListRunning(ctx, append([]string{BackupLabel}, selectors...)...)
}
