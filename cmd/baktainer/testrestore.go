package main

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/go-units"

	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/legacy"
)

// testRestoreFlags are verify's flags for --restore.
type testRestoreFlags struct {
	restore bool
	image   string
	timeout time.Duration
	memory  string
}

// runTestRestore test-restores one archive into a scratch container and prints
// the report; it fails unless every check passed.
func runTestRestore(ctx context.Context, env *runEnv, f testRestoreFlags, keys identityFlags, archive string) error {
	memory, err := units.RAMInBytes(f.memory)
	if err != nil || memory < 64<<20 {
		return fmt.Errorf("%w: --memory %q: a size of at least 64m, such as 1g or 512m", errUsage, f.memory)
	}
	identities, err := keys.load()
	if err != nil {
		return err
	}
	dc, err := env.connectDocker(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	host := &drill.DockerHost{Client: dc}
	// Scratch containers a killed test-restore left behind, once their deadline passed.
	if removed, err := drill.Sweep(ctx, host, "", time.Now()); err != nil {
		env.log.WithError(err).Warn("removing leftover scratch containers failed")
	} else {
		for _, name := range removed {
			env.log.WithField("container", name).Info("removed a scratch container a test-restore left behind")
		}
	}
	rep, err := drill.Run(ctx, host, drill.Options{
		Archive: archive, Image: f.image, Timeout: f.timeout, Memory: memory, Owner: "cli", Log: env.log,
		Keys: drill.Keys{Identities: identities, Legacy: legacyKeys(env, archive)},
	})
	rep.Write(env.stdout)
	if err != nil {
		return fmt.Errorf("test-restore of %s: %w", archive, err)
	}
	return nil
}

// legacyKeys are the Ruby tool's keys (BT_ENCRYPTION_KEY[_FILE],
// BT_ENCRYPTION_PASSPHRASE), read by config, for a Ruby-era archive.
func legacyKeys(env *runEnv, archive string) []legacy.Key {
	if !drill.IsLegacy(archive) {
		return nil
	}
	return env.cfg.LegacyKeys
}
