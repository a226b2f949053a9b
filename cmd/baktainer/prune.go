package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// runPrune applies the retention policy (BT_RETENTION_*, BT_MIN_FREE_SPACE_GB, or
// the flags) to every backup name under a directory, after removing what crashed
// writers left behind.
func runPrune(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("prune", flag.ContinueOnError)
	dryRun := flags.Bool("dry-run", false, "only say what would be removed")
	only := flags.String("name", "", "prune only this backup name")
	days := flags.Int("days", -1, "keep archives younger than this many days (BT_RETENTION_DAYS; 0: off)")
	count := flags.Int("count", -1, "keep at most this many newest archives (BT_RETENTION_COUNT; 0: off)")
	daily := flags.Int("daily", -1, "keep the newest archive of this many days (BT_RETENTION_DAILY)")
	weekly := flags.Int("weekly", -1, "keep the newest archive of this many weeks (BT_RETENTION_WEEKLY)")
	monthly := flags.Int("monthly", -1, "keep the newest archive of this many months (BT_RETENTION_MONTHLY)")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	dir, err := env.dirArg(pos)
	if err != nil {
		return err
	}
	cfg, err := env.settings(config.RetentionVars...)
	if err != nil {
		return err
	}
	policy := cfg.Policy(flagOverrides(*days, *count, *daily, *weekly, *monthly))
	if !*dryRun {
		cleanup(env, dir)
	}
	names, err := backupNames(dir, *only)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "policy: %s\n", policy)
	now := time.Now()
	removed := 0
	for _, name := range names {
		decisions, err := store.Prune(ctx, dir, name, policy, now, store.PruneOptions{DryRun: *dryRun})
		for _, d := range decisions {
			verb := "keep  "
			if !d.Keep {
				verb = "remove"
				if *dryRun {
					verb = "would remove"
				}
				removed++
			}
			fmt.Fprintf(env.stdout, "%s %s: %s\n", verb, d.Archive.Path, d.Reason)
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "%d archive(s) removed\n", removed)
	return nil
}

// flagOverrides turns the flags that were given (not -1) into label-style overrides.
func flagOverrides(days, count, daily, weekly, monthly int) labels.Retention {
	set := func(n int) *int {
		if n < 0 {
			return nil
		}
		return &n
	}
	return labels.Retention{Days: set(days), Count: set(count), Daily: set(daily), Weekly: set(weekly), Monthly: set(monthly)}
}

// backupNames lists the backup names with archives under dir, or just only.
func backupNames(dir, only string) ([]string, error) {
	if only != "" {
		return []string{only}, nil
	}
	archives, err := store.List(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, a := range archives {
		if !seen[a.Meta.Name] {
			seen[a.Meta.Name] = true
			names = append(names, a.Meta.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}
