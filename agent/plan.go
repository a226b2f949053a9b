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
type PlanEntry = TargetInfo

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
		out = append(out, describe(newEntry(c, reg, cfg.Schedule), now, cfg.Location, dests))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out, nil
}
