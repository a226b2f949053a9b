package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/store"
)

// runArchive packs standard input into an archive, or unpacks one to standard
// output: the store's pipeline without Docker, for scripts and for tests.
func runArchive(ctx context.Context, env *runEnv, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: archive needs a subcommand: pack or unpack", errUsage)
	}
	switch args[0] {
	case "pack":
		return runPack(ctx, env, args[1:])
	case "unpack":
		return runUnpack(ctx, env, args[1:])
	}
	return fmt.Errorf("%w: archive %q: want pack or unpack", errUsage, args[0])
}

// packBufferSize is how much of standard input is read at once.
const packBufferSize = 1 << 20

func runPack(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("archive pack", flag.ContinueOnError)
	dir := flags.String("dir", envOr("BT_BACKUP_DIR", config.DefaultBackupDir), "directory the archives go under (BT_BACKUP_DIR)")
	name := flags.String("name", "", "the backup's name: the archive goes under DIR/NAME/ (required)")
	compress := flags.String("compress", envOr("BT_COMPRESSION", "zstd"), "zstd, gzip or none (BT_COMPRESSION)")
	level := flags.String("level", envOr("BT_COMPRESSION_LEVEL", "fastest"), "fastest, default, better or best (BT_COMPRESSION_LEVEL)")
	ext := flags.String("ext", "dump", "the extension of what is packed, e.g. sql")
	engine := flags.String("engine", "", "the engine that made the dump, so `verify --deep` can check it is complete")
	var enc encryptionFlags
	enc.register(flags)
	if _, err := parseArgs(flags, args, 0, 0); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	comp, err := store.ParseCompression(*compress)
	if err != nil {
		return fmt.Errorf("--compress: %w", err)
	}
	lvl, err := store.ParseLevel(*level)
	if err != nil {
		return fmt.Errorf("--level: %w", err)
	}
	encryption, err := enc.encryption()
	if err != nil {
		return err
	}
	cleanup(ctx, env, *dir)
	p, err := store.Create(*dir, store.Meta{Name: *name, Engine: *engine}, *ext, store.Options{Compression: comp, Level: lvl, Encryption: encryption})
	if err != nil {
		return err
	}
	defer p.Abort() // no-op once committed
	if _, err := io.CopyBuffer(p, ctxReader{ctx, env.stdin}, make([]byte, packBufferSize)); err != nil {
		return fmt.Errorf("pack standard input: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path, _, err := p.Commit()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, path)
	return err
}

func runUnpack(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("archive unpack", flag.ContinueOnError)
	var ids identityFlags
	ids.register(flags)
	pos, err := parseArgs(flags, args, 1, 1)
	if err != nil {
		return err
	}
	path := pos[0]
	identities, err := ids.load()
	if err != nil {
		return err
	}
	// A lone archive copied without its sidecar still opens: age's and zstd's/gzip's
	// own integrity checks then stand guard alone.
	if err := store.VerifyChecksum(path); errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(path); statErr != nil {
			return statErr
		}
		env.log.WithField("archive", path).Warn("no checksum sidecar: unpacking without checking the archive's SHA-256")
	} else if err != nil {
		return fmt.Errorf("refusing to unpack %s: %w", path, err)
	}
	r, err := store.Open(path, identities...)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriterSize(env.stdout, packBufferSize)
	if _, err := io.CopyBuffer(out, ctxReader{ctx, r}, make([]byte, packBufferSize)); err != nil {
		return err
	}
	return out.Flush()
}

// cleanup removes what crashed writers left under dir, before new work starts.
func cleanup(ctx context.Context, env *runEnv, dir string) {
	cleaned, err := store.Cleanup(ctx, dir)
	for _, path := range cleaned.Removed {
		env.log.WithField("path", path).Info("removed a leftover of an interrupted backup")
	}
	for _, path := range cleaned.Completed {
		env.log.WithField("path", path).Info("finished the commit an interrupted backup left without its .sha256")
	}
	if err != nil {
		env.log.WithError(err).Warn("cleaning up leftovers failed")
	}
}

// ctxReader stops a long copy when ctx is done (on SIGINT or SIGTERM).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
