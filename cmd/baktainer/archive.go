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
	cfg, err := env.settings("BT_BACKUP_DIR", "BT_COMPRESSION", "BT_COMPRESSION_LEVEL")
	if err != nil {
		return err
	}
	dir := flags.String("dir", cfg.BackupDir, "directory the archives go under (BT_BACKUP_DIR)")
	name := flags.String("name", "", "the backup's name: the archive goes under DIR/NAME/ (required)")
	comp := compressionFlag(flags, "compress", cfg.Compression, "zstd, gzip or none (BT_COMPRESSION)")
	lvl := levelFlag(flags, "level", cfg.CompressionLevel, "fastest, default, better or best (BT_COMPRESSION_LEVEL)")
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
	encryption, err := enc.encryption(env)
	if err != nil {
		return err
	}
	cleanup(env, *dir)
	p, err := store.Create(*dir, store.Meta{Name: *name, Engine: *engine}, *ext, store.Options{Compression: *comp, Level: *lvl, Encryption: encryption})
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
func cleanup(env *runEnv, dir string) {
	removed, err := store.Cleanup(dir)
	for _, path := range removed {
		env.log.WithField("path", path).Info("removed a leftover of an interrupted backup")
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
