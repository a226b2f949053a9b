package agent

import (
	"context"
	"sort"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// PlanEntry is what the agent would do for one container.
type PlanEntry struct {
	Name        string    `json:"name"`
	Container   string    `json:"container"`
	Engine      string    `json:"engine,omitempty"`
	Database    string    `json:"database,omitempty"`
	Schedule    string    `json:"schedule,omitempty"`
	NextRun     time.Time `json:"next_run,omitzero"`
	OnStart     bool      `json:"on_start,omitempty"`
	Destination string    `json:"destination"`
	Problem     string    `json:"problem,omitempty"`
}

// Plan lists, without running or creating anything, what the agent would back up:
// every running container it would register, with engine, schedule, next run and
// destination, or the label problems that keep it from being scheduled. It uses
// the same resolution as the agent.
func Plan(ctx context.Context, dc *docker.Client, reg *engines.Registry, dests Destinations, cfg config.Config, now time.Time) ([]PlanEntry, error) {
	listed, err := ListTargets(ctx, dc, cfg.Selectors...)
	if err != nil {
		return nil, err
	}
	out := make([]PlanEntry, 0, len(listed))
	for _, summary := range listed {
		c, err := dc.Inspect(ctx, summary.ID)
		if err != nil {
			continue // gone meanwhile
		}
		e := newEntry(c, reg, cfg.Schedule)
		p := PlanEntry{Name: e.name(), Container: c.Name, Schedule: e.schedule, OnStart: e.target.Spec.OnStart,
			Destination: dests.Describe(e.target)}
		if e.engine != nil {
			p.Engine, p.Database = e.engine.Name(), e.engine.Database(e.target)
		}
		if e.problem != nil {
			p.Problem = scrubAll(e.problem.Error(), secretsOf(e.target))
			p.Schedule = ""
		} else {
			p.NextRun = e.nextRun(now, cfg.Location)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out, nil
}
