package agent

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// PlanEntry is what the agent would do for one container.
type PlanEntry = TargetInfo

// Plan lists, without running or creating anything, what the agent would back up:
// every running container it would register, with engine, schedule, next run and
// destination, or the problems that keep it from being scheduled (wrong labels, a
// backup name another container holds in the same destination) and a destination
// its archives cannot be written to (DestinationProblem). It uses the same
// resolution as the agent, BT_REQUIRE_CONTAINER_LABELS included.
func Plan(ctx context.Context, dc Docker, reg *engines.Registry, dests Destinations, cfg config.Config, now time.Time) ([]PlanEntry, error) {
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
	p := planner{dc: dc, reg: reg, dests: dests, cfg: cfg, now: now}
	out := make([]PlanEntry, 0, len(inspected))
	for _, c := range inspected {
		out = append(out, p.plan(ctx, c))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out, nil
}

// planner makes the plan's entries one container at a time, oldest first.
type planner struct {
	dc      Docker
	reg     *engines.Registry
	dests   Destinations
	cfg     config.Config
	now     time.Time
	planned []*entry // so far, for name conflicts
}

// plan is what the agent would register for c.
func (p *planner) plan(ctx context.Context, c docker.Container) PlanEntry {
	if p.cfg.RequireContainerLabels {
		own, ignored, err := ContainerOwnLabels(ctx, p.dc, c)
		if err != nil || declined(own.Labels) {
			return PlanEntry{Name: c.Name, Container: c.Name, ContainerID: c.ID, Destination: "-",
				Problem: imageOnlyProblem(c, ignored, err)}
		}
		c = own
	}
	e := newEntry(c, p.reg, p.cfg.Schedule)
	var missing error
	e.destination, missing = locate(ctx, p.dests, e)
	if holder := nameHolder(e, slices.Values(p.planned)); holder != nil {
		e.problem = nameConflict(e, holder)
	}
	p.planned = append(p.planned, e)
	info := describe(e, e.firstRun(p.now, p.cfg.Location), p.dests)
	info.Runs = e.plannedRuns(p.now, p.cfg.Location)
	if missing != nil && e.problem == nil {
		info.DestinationProblem = scrubTarget(missing.Error(), e.target)
	}
	return info
}
