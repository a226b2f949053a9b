package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// runRestore streams an archive back into a running container through the engine's
// own client. The archive's checksum and sidecars are verified before a single byte
// is restored; an encrypted archive needs --identity or --passphrase-file.
func runRestore(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	containerName := fs.String("container", "", "the container to restore into (required)")
	var keys identityFlags
	keys.register(fs)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *containerName == "" {
		return fmt.Errorf("%w: --container is required", errUsage)
	}
	identities, err := keys.load()
	if err != nil {
		return err
	}
	archive := pos[0]
	meta, err := store.Verify(ctx, archive)
	if err != nil {
		return fmt.Errorf("refusing to restore %s: %w", archive, err)
	}
	eng, err := engines.Default().Lookup(meta.Engine)
	if err != nil {
		return fmt.Errorf("archive %s: %w", archive, err)
	}
	dc, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	c, err := dc.Inspect(ctx, *containerName)
	if err != nil {
		return err
	}
	// The target may be a fresh container without baktainer labels; labels it does
	// have (credentials, database) still apply.
	spec, err := labels.Parse(c.Labels)
	if err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	r, err := store.Open(archive, identities...)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := eng.Restore(ctx, dc, engines.Target{Container: c, Spec: spec}, r); err != nil {
		return err
	}
	env.log.WithFields(map[string]any{"archive": archive, "container": c.Name}).Info("restore complete")
	return nil
}
