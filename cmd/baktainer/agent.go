package main

import (
	"context"
	"flag"
	"os"
	"strings"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
)

// runAgent runs the agent in standalone mode: archives under one directory, as the
// original Baktainer container did (with the Docker socket mounted).
func runAgent(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	cfg, err := loadWithFlags(fs, args)
	if err != nil {
		return err
	}
	env.log.Logger.SetLevel(cfg.LogLevel)
	a, err := agent.New(cfg, agent.Deps{Log: env.log})
	if err != nil {
		return err
	}
	if err := attachWeb(a); err != nil {
		return err
	}
	return a.Run(ctx)
}

// loadWithFlags reads the configuration, letting the standalone flags (which name
// their variable) override the environment.
func loadWithFlags(fs *flag.FlagSet, args []string, extra ...func(*flag.FlagSet)) (config.Config, error) {
	dir := fs.String("backup-dir", "", "directory archives go under (overrides BT_BACKUP_DIR, default /backups)")
	state := fs.String("state-dir", "", "directory of the agent's history (overrides BT_STATE_DIR)")
	selector := fs.String("selector", "", "extra label selectors, comma-separated key=value (added to BT_SELECTOR)")
	for _, f := range extra {
		f(fs)
	}
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return config.Config{}, err
	}
	overrides := map[string]string{"BT_BACKUP_DIR": *dir, "BT_STATE_DIR": *state}
	if *selector != "" {
		overrides["BT_SELECTOR"] = strings.Trim(os.Getenv("BT_SELECTOR")+","+*selector, ",")
	}
	return config.Load(func(name string) (string, bool) {
		if v := overrides[name]; v != "" {
			return v, true
		}
		return os.LookupEnv(name)
	})
}
