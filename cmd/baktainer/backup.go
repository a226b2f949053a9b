package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// runBackup backs up one container once, into BT_BACKUP_DIR (default /backups), as
// the original Baktainer did.
func runBackup(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dir := fs.String("dir", envOr("BT_BACKUP_DIR", "/backups"), "directory the archives go under (BT_BACKUP_DIR)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	comp, err := store.ParseCompression(envOr("BT_COMPRESSION", "zstd"))
	if err != nil {
		return fmt.Errorf("BT_COMPRESSION: %w", err)
	}
	dc, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	target, eng, err := agent.Resolve(ctx, dc, engines.Default(), pos[0])
	if err != nil {
		return err
	}
	res, err := agent.RunBackup(ctx, dc, env.log, agent.Job{
		Target: target, Engine: eng, Root: *dir,
		Options: store.Options{Compression: comp},
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, res.Path)
	return err
}
