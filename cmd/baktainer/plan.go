package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
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
	plan, err := agent.Plan(ctx, dc, engines.Default(), volumeCheckedDirectory{agent.Directory{Dir: cfg.BackupDir}, dc}, cfg, now)
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
		for _, row := range planRows(p, cfg.BackupDir, cfg.Location) {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(env.stdout, "\n%s: %s\n", p.Container, p.Problem)
	}
	for _, p := range plan {
		if p.DestinationProblem != "" {
			fmt.Fprintf(env.stdout, "\n%s: %s\n", p.Container, p.DestinationProblem)
		}
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

// planRows are a planned target's lines: one per run (each expression of
// baktainer.schedule, baktainer.schedule.once), under the name its archives
// are filed under; with baktainer.db.split, one archive per database beside it.
func planRows(p agent.PlanEntry, dir string, loc *time.Location) [][]string {
	runs := p.Runs
	if len(runs) == 0 { // a plan of an older agent's JSON: the schedule alone
		runs = []agent.ScheduledRun{{Schedule: p.Schedule, Series: p.Name, NextRun: p.NextRun}}
	}
	var rows [][]string
	for i, r := range runs {
		sched := r.Schedule
		switch {
		case r.Once:
			sched = "once " + sched
		case len(runs) == 1:
			sched = p.Schedule
		}
		if r.Tag != "" {
			sched += "=" + r.Tag
		}
		if i == 0 && p.OnStart {
			sched += " (+ on start)"
		}
		next := "never (past)"
		if !r.NextRun.IsZero() {
			next = r.NextRun.In(loc).Format("2006-01-02 15:04:05 MST")
		}
		where, db := p.Destination, dash(p.Database)
		if r.Series != p.Name {
			where = filepath.Join(dir, r.Series)
		}
		if p.Split {
			where, db = filepath.Join(dir, r.Series)+".<database>", db+" (split)"
		}
		rows = append(rows, []string{r.Series, p.Container, p.Engine, db, sched, next, where})
	}
	return rows
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
