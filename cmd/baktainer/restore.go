package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// runRestore streams an archive back into a running container through the engine's
// own client. The archive's checksum and sidecars are verified before a single byte
// is restored, and again as it streams, from the same open file: a file changed in
// between makes the stream fail before its end, and the engine's restore stop
// (Postgres: roll back). An encrypted archive needs --identity or --passphrase-file.
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
	meta, r, err := store.OpenVerified(ctx, archive, identities...)
	if err != nil {
		return fmt.Errorf("refusing to restore %s: %w", archive, err)
	}
	defer r.Close()
	eng, err := engines.Default().Lookup(meta.Engine)
	if err != nil {
		return fmt.Errorf("archive %s: %w", archive, err)
	}
	dc, err := env.connectDocker(ctx)
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
	// A failed read ends the tool's run: without the cancel, a tool waiting for more
	// input would wait for good.
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	src := &cancelOnError{r: r, cancel: cancel}
	if err := eng.Restore(rctx, dc, engines.Target{Container: c, Spec: spec}, src); err != nil {
		if src.err != nil && !errors.Is(err, src.err) {
			return fmt.Errorf("restore of %s into %s aborted: %w (then: %v)", archive, c.Name, src.err, err)
		}
		return fmt.Errorf("restore of %s into %s: %w", archive, c.Name, err)
	}
	env.log.WithFields(map[string]any{"archive": archive, "container": c.Name}).Info("restore complete")
	return nil
}

// cancelOnError cancels the restore's context when reading the archive fails.
type cancelOnError struct {
	r      io.Reader
	cancel context.CancelCauseFunc
	err    error
}

func (c *cancelOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
		c.cancel(err)
	}
	return n, err
}
