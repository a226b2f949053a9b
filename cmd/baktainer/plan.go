package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
)

// runPlan prints what the agent would back up, when, with which engine and where,
// without running anything.
func runPlan(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var asJSON *bool
	cfg, err := loadWithFlags(env, fs, args, func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print JSON") })
	if err != nil {
		return err
	}
	dc, err := env.connectDocker(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	now := time.Now()
	plan, err := agent.Plan(ctx, dc, engines.Default(), agent.Directory{Dir: cfg.BackupDir}, cfg, now)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	}
	if len(plan) == 0 {
		_, err := fmt.Fprintf(env.stdout, "no running container is labelled %s (selectors: %v)\n", agent.BackupLabel, cfg.Selectors)
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCONTAINER\tENGINE\tDATABASE\tSCHEDULE\tNEXT RUN\tDESTINATION")
	var problems []agent.PlanEntry
	for _, p := range plan {
		if p.Problem != "" {
			problems = append(problems, p)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Container, dash(p.Engine), dash(p.Database), "NOT SCHEDULED", "-", p.Destination)
			continue
		}
		sched := p.Schedule
		if p.OnStart {
			sched += " (+ on start)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Container, p.Engine, dash(p.Database), sched,
			p.NextRun.In(cfg.Location).Format("2006-01-02 15:04:05 MST"), p.Destination)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(env.stdout, "\n%s: %s\n", p.Container, p.Problem)
	}
	printLabelWarnings(env, plan)
	return nil
}

// printLabelWarnings shows, per container, what its labels say that baktainer
// reads other than as written (a name mapped to one the store can use, a value in
// quotes, a Ruby Baktainer label) or not at all: the backups run all the same.
func printLabelWarnings(env *runEnv, plan []agent.PlanEntry) {
	for _, p := range plan {
		if len(p.Warnings) == 0 {
			continue
		}
		fmt.Fprintf(env.stdout, "\n%s (backed up as %s):\n", p.Container, p.Name)
		for _, w := range p.Warnings {
			fmt.Fprintf(env.stdout, "  - warning: %s\n", w)
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
