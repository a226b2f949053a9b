package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// runPrune applies the retention policy (BT_RETENTION_*, BT_MIN_FREE_SPACE_GB, or
// the flags) to every backup name under a directory, after removing what crashed
// writers left behind. The Ruby Baktainer's archives there count with the current
// archives of the same (mapped) name. Archives it cannot trust are reported and
// left alone (exit status 1); the rest is pruned all the same.
func runPrune(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("prune", flag.ContinueOnError)
	dryRun := flags.Bool("dry-run", false, "only say what would be removed")
	only := flags.String("name", "", "prune only this backup name")
	rules := retentionFlags(flags)
	volFlags := pruneVolumeFlags(flags)
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	overrides, err := rules.overrides(flags)
	if err != nil {
		return err
	}
	dir, vol, err := volFlags.resolve(env, pos)
	if err != nil {
		return err
	}
	cfg, err := env.settings(config.RetentionVars...)
	if err != nil {
		return err
	}
	policy, from := vol.policy(cfg, overrides)
	if !*dryRun {
		cleanup(ctx, env, dir)
	}
	p := pruner{env: env, dir: dir, policy: policy, dryRun: *dryRun, now: time.Now(), keys: env.cfg.LegacyKeys}
	if err := p.findRuby(ctx); err != nil {
		return err
	}
	names, err := backupNames(ctx, dir, *only, p.ruby)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "policy: %s%s\n", policy, from)
	for _, name := range names {
		if err := p.prune(ctx, name); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "%d archive(s) removed\n", p.removed)
	if p.problems > 0 {
		return fmt.Errorf("%w: %d archive(s) could not be trusted and were left alone (see the warnings above)", errProblems, p.problems)
	}
	return nil
}

type pruner struct {
	env               *runEnv
	dir               string
	policy            store.Policy
	dryRun            bool
	now               time.Time
	keys              []legacy.Key // open the Ruby-era archives, to verify them
	ruby              rubyArchives
	removed, problems int
}

// prune applies the policy to one name and prints every decision.
func (p *pruner) prune(ctx context.Context, name string) error {
	twins, err := p.pruneRuby(ctx, name)
	if err != nil {
		return err
	}
	decisions, err := store.Prune(ctx, p.dir, name, p.policy, p.now, store.PruneOptions{DryRun: p.dryRun})
	if ferr := p.followTwins(twins, decisions); ferr != nil {
		return ferr
	}
	for _, d := range decisions {
		verb := "keep  "
		switch {
		case d.Problem != nil:
			p.problems++
			fmt.Fprintf(p.env.stderr, "warning: not counted, left alone: %v\n", d.Problem)
		case !d.Keep:
			verb = "remove"
			if p.dryRun {
				verb = "would remove"
			}
			p.removed++
		}
		fmt.Fprintf(p.env.stdout, "%s %s: %s\n", verb, d.Archive.Path, d.Reason)
	}
	var problems *store.ProblemsError
	if errors.As(err, &problems) {
		return nil // reported with the decisions
	}
	return err
}

// retention is the prune flags for the policy's rules; -1 means "not given".
type retention struct {
	days, count, daily, weekly, monthly *int
}

func retentionFlags(flags *flag.FlagSet) retention {
	return retention{
		days:    flags.Int("days", -1, "keep archives younger than this many days (BT_RETENTION_DAYS; 0: off)"),
		count:   flags.Int("count", -1, "keep at most this many newest archives (BT_RETENTION_COUNT; 0: off)"),
		daily:   flags.Int("daily", -1, "keep the newest archive of this many days (BT_RETENTION_DAILY)"),
		weekly:  flags.Int("weekly", -1, "keep the newest archive of this many weeks (BT_RETENTION_WEEKLY)"),
		monthly: flags.Int("monthly", -1, "keep the newest archive of this many months (BT_RETENTION_MONTHLY)"),
	}
}

// overrides turns the flags that were given into label-style overrides. A negative
// value given is a usage error, never "not given".
func (r retention) overrides(flags *flag.FlagSet) (labels.Retention, error) {
	var out labels.Retention
	values := map[string]struct {
		value *int
		into  **int
	}{
		"days": {r.days, &out.Days}, "count": {r.count, &out.Count}, "daily": {r.daily, &out.Daily},
		"weekly": {r.weekly, &out.Weekly}, "monthly": {r.monthly, &out.Monthly},
	}
	var err error
	flags.Visit(func(f *flag.Flag) {
		v, ok := values[f.Name]
		if !ok {
			return
		}
		if *v.value < 0 {
			err = errors.Join(err, fmt.Errorf("%w: --%s %d: must be 0 (off) or more", errUsage, f.Name, *v.value))
			return
		}
		*v.into = v.value
	})
	return out, err
}

// backupNames lists the backup names with archives under dir, the Ruby-era
// archives' among them, or just only.
func backupNames(ctx context.Context, dir, only string, ruby rubyArchives) ([]string, error) {
	if only != "" {
		return []string{only}, nil
	}
	listing, err := store.Scan(ctx, dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for name := range ruby {
		seen[name] = true
		names = append(names, name)
	}
	for _, a := range listing.Archives {
		if !seen[a.Meta.Name] {
			seen[a.Meta.Name] = true
			names = append(names, a.Meta.Name)
		}
	}
	// A name whose archives are all untrusted is pruned too: Prune reports them.
	for _, p := range listing.Problems {
		if name := nameOf(dir, p.Path); name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// nameOf returns the backup name (the first directory below dir) of a path under dir.
func nameOf(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	name, _, _ := strings.Cut(rel, string(filepath.Separator))
	return name
}
