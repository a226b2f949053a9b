package agent

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// PlanEntry is what the agent would do for one container.
type PlanEntry = TargetInfo

// Plan lists, without running or creating anything, what the agent would back up:
// every running container it would register, with engine, schedule, next run and
// destination, or the problems that keep it from being scheduled (wrong labels, a
// backup name another container holds in the same destination) and a destination
// its archives cannot be written to (DestinationProblem). It uses the same
// resolution as the agent, BT_REQUIRE_CONTAINER_LABELS included.
func Plan(ctx context.Context, dc *docker.Client, reg *engines.Registry, dests Destinations, cfg config.Config, now time.Time) ([]PlanEntry, error) {
	listed, err := ListTargets(ctx, dc, cfg.Selectors...)
	if err != nil {
		return nil, err
	}
	var inspected []docker.Container
	for _, summary := range listed {
		if c, err := dc.Inspect(ctx, summary.ID); err == nil { // else gone meanwhile
			inspected = append(inspected, c)
		}
	}
	// Oldest first, as the agent admits them: the older of two keeps a shared name.
	slices.SortFunc(inspected, func(x, y docker.Container) int { return x.Created.Compare(y.Created) })
	planner := &Agent{cfg: cfg, dc: dc, engines: reg, dests: dests}
	var planned []*entry
	out := make([]PlanEntry, 0, len(inspected))
	for _, c := range inspected {
		if cfg.RequireContainerLabels {
			own, ignored, err := ContainerOwnLabels(ctx, dc, c)
			if err != nil || own.Labels[labels.Backup] != "true" {
				out = append(out, PlanEntry{Name: c.Name, Container: c.Name, ContainerID: c.ID, Destination: "-",
					Problem: imageOnlyProblem(c, ignored, err)})
				continue
			}
			c = own
		}
		e := newEntry(c, reg, cfg.Schedule)
		var missing error
		e.destination, missing = planner.locate(ctx, e)
		if holder := nameHolder(e, slices.Values(planned)); holder != nil {
			e.problem = nameConflict(e, holder)
		}
		planned = append(planned, e)
		info := describe(e, e.firstRun(now, cfg.Location), dests)
		if missing != nil && e.problem == nil {
			info.DestinationProblem = planner.scrub(missing.Error(), e.target)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out, nil
}
