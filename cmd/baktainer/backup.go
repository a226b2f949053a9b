package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// runBackup backs up one container once, into BT_BACKUP_DIR (default /backups), as
// the original Baktainer did, then applies the retention policy to the backup's
// name exactly as the agent does after a backup; with --via, it asks a running
// agent to do both.
func runBackup(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory the archives go under (overrides BT_BACKUP_DIR)")
	via := fs.String("via", "", "ask the agent at this URL (e.g. http://127.0.0.1:8080) to run it; the token comes from BT_API_TOKEN")
	noWait := fs.Bool("no-wait", false, "with --via: return once the backup is queued")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *via != "" {
		return backupVia(ctx, env, *via, pos[0], !*noWait)
	}
	cfg, err := env.settings()
	if err != nil {
		return err
	}
	root := cfg.BackupDir
	if *dir != "" {
		root = *dir
	}
	dc, err := env.connectDocker(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	target, eng, err := agent.Resolve(ctx, dc, engines.Default(), pos[0])
	if err != nil {
		return err
	}
	res, err := agent.RunBackup(ctx, dc, env.log, agent.Job{
		Target: target, Engine: eng, Root: root,
		Options: store.Options{Compression: cfg.Compression, Level: cfg.CompressionLevel, Encryption: cfg.Encryption,
			MinFreeBytes: agent.FloorBytes(cfg.FreeSpaceFloor, root), ReaderGroup: cfg.ArchiveGroup},
	})
	if err != nil {
		return agent.ExplainFloor(err, "BT_FREE_SPACE_FLOOR")
	}
	if _, err := fmt.Fprintln(env.stdout, res.Path); err != nil {
		return err
	}
	// The agent's policy for a directory destination: the settings, then the
	// container's baktainer.retention.* labels (config.Policy assembles both).
	// The Ruby Baktainer's archives of the name count too, as in the agent.
	policy := cfg.Policy(target.Spec.Retention)
	removed, err := agent.ApplyRetention(ctx, env.log.WithField("name", res.Meta.Name), root, res.Meta.Name, policy, store.PruneOptions{Verified: res.Path}, cfg.LegacyKeys)
	if err != nil {
		return fmt.Errorf("the new archive %s is safe, but retention of %s (%s) failed: %w", res.Path, res.Meta.Name, policy, err)
	}
	env.log.WithFields(map[string]any{"name": res.Meta.Name, "policy": policy.String(), "removed": removed}).Info("retention applied")
	return nil
}
