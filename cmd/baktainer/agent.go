package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
)

// runAgent runs the agent in standalone mode: archives under one directory, as the
// original Baktainer container did (with the Docker socket mounted).
func runAgent(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	cfg, err := loadWithFlags(env, fs, args)
	if err != nil {
		return err
	}
	env.log.Logger.SetLevel(cfg.LogLevel)
	dc, err := docker.Open(cfg.Docker) // the agent reconnects on its own
	if err != nil {
		return err
	}
	defer dc.Close()
	a, err := agent.New(cfg, agent.Deps{Docker: dc, Log: env.log, MemoryLimit: agent.NewMemoryLimit(os.Getenv)})
	if err != nil {
		return err
	}
	addSettingsCheck(a, cfg)
	tasks, _, err := agentTasks(a, cfg, env.log)
	if err != nil {
		return err
	}
	return runTasks(ctx, tasks)
}

// addSettingsCheck makes /health report the BT_* variables baktainer ignores
// (typos, Ruby-era settings): a backup that silently runs without the setting its
// author meant (encryption, say) is not healthy.
func addSettingsCheck(a *agent.Agent, cfg config.Config) {
	a.AddHealthCheck("settings", func(context.Context) error {
		var problems []string
		for _, w := range cfg.Warnings() {
			problems = append(problems, w.String())
		}
		if len(problems) == 0 {
			return nil
		}
		return errors.New(strings.Join(problems, "; "))
	})
}

// loadWithFlags reads the configuration, letting the standalone flags (which name
// their variable) override the environment.
func loadWithFlags(env *runEnv, fs *flag.FlagSet, args []string, extra ...func(*flag.FlagSet)) (config.Config, error) {
	dir := fs.String("backup-dir", "", "directory archives go under (overrides BT_BACKUP_DIR, default /backups)")
	state := fs.String("state-dir", "", "directory of the agent's history (overrides BT_STATE_DIR)")
	selector := fs.String("selector", "", "extra label selectors, comma-separated key=value (added to BT_SELECTOR)")
	for _, f := range extra {
		f(fs)
	}
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return config.Config{}, err
	}
	var overrides []string
	if *dir != "" {
		overrides = append(overrides, "BT_BACKUP_DIR="+*dir)
	}
	if *state != "" {
		overrides = append(overrides, "BT_STATE_DIR="+*state)
	}
	if *selector != "" {
		overrides = append(overrides, "BT_SELECTOR="+strings.Trim(strings.Join(env.cfg.Selectors, ",")+","+*selector, ","))
	}
	if len(overrides) == 0 {
		return env.settings()
	}
	return config.FromEnv(overrides...)
}
