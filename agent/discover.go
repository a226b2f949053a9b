package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
)

// BackupLabel is how the label that enrols a container is written (for messages).
const BackupLabel = labels.Backup + "=true"

// backupFilter is what discovery asks Docker for: every container that carries
// the label, whatever its value. Docker compares values exactly, and compose's
// list syntax keeps quotes (`- baktainer.backup="true"` gives "\"true\""): the
// value is the labels parser's to read (declined).
const backupFilter = labels.Backup

// declined reports whether labels do not ask for a backup: no baktainer.backup
// label, or one that says no (false, no, 0, off; in quotes too). A value that is
// no boolean at all is not declined: the container is a target whose label
// problem is reported, never silently left out.
func declined(l map[string]string) bool {
	v, ok := l[labels.Backup]
	if !ok {
		return true
	}
	unquoted, _ := parse.Unquote(v)
	wanted, err := parse.Bool(unquoted)
	return err == nil && !wanted
}

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

// ListTargets returns the running containers whose baktainer.backup label does
// not decline (see declined) and that match the extra label selectors (used to
// scope an agent, e.g. to one test run).
func ListTargets(ctx context.Context, dc Docker, selectors ...string) ([]docker.Container, error) {
	listed, err := dc.ListRunning(ctx, append([]string{backupFilter}, selectors...)...)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(listed, func(c docker.Container) bool { return declined(c.Labels) }), nil
}
