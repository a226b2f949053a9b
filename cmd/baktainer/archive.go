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
	"strings"

	"filippo.io/age"

	"github.com/baktainer/baktainer/engines"
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
	engineName := flags.String("engine", "", "the engine that made the dump: it must look complete to be committed, and `verify --deep` checks it again")
	var enc encryptionFlags
	enc.register(flags)
	if _, err := parseArgs(flags, args, 0, 0); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	eng, err := packEngine(*engineName)
	if err != nil {
		return err
	}
	encryption, err := enc.encryption(env)
	if err != nil {
		return err
	}
	cleanup(ctx, env, *dir)
	meta := store.Meta{Name: *name}
	if eng != nil {
		meta.Engine = eng.Name()
	}
	p, err := store.Create(*dir, meta, *ext, store.Options{Compression: *comp, Level: *lvl, Encryption: encryption})
	if err != nil {
		return err
	}
	defer p.Abort() // no-op once committed
	var rec engines.Recorder
	if _, err := io.CopyBuffer(io.MultiWriter(p, &rec), newCtxReader(ctx, env.stdin), make([]byte, packBufferSize)); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted while packing standard input: nothing was committed")
		}
		return fmt.Errorf("pack standard input: %w", err)
	}
	if eng != nil {
		// As a backup does: a dump cut short is no archive.
		if err := eng.CheckComplete(rec.Head(), rec.Tail()); err != nil {
			return fmt.Errorf("refusing to commit: the %s dump of %d bytes on standard input is not complete: %w", eng.Name(), rec.Len(), err)
		}
	}
	path, _, err := p.Commit()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, path)
	return err
}

// packEngine looks --engine up among the engines baktainer knows; "" is none.
func packEngine(name string) (engines.Engine, error) {
	if name == "" {
		return nil, nil
	}
	reg := engines.Default()
	eng, err := reg.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%w: --engine %q: not an engine baktainer knows (%s)", errUsage, name, strings.Join(reg.Names(), ", "))
	}
	return eng, nil
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
	r, err := openForUnpack(ctx, env, path, identities)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriterSize(newCtxWriter(ctx, env.stdout), packBufferSize)
	if _, err := io.CopyBuffer(out, r, make([]byte, packBufferSize)); err != nil {
		return err
	}
	return out.Flush()
}

// openForUnpack opens an archive with its sidecars checked first and its checksum
// checked again as it streams (the end of the output fails if the file changed).
// A lone archive copied without its sidecars still opens: age's and zstd's/gzip's
// own integrity checks then stand guard alone.
func openForUnpack(ctx context.Context, env *runEnv, path string, identities []age.Identity) (io.ReadCloser, error) {
	_, r, err := store.OpenVerified(ctx, path, identities...)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("refusing to unpack %s: %w", path, err)
	}
	if _, statErr := os.Stat(path); statErr != nil {
		return nil, statErr
	}
	if _, statErr := os.Lstat(path + store.ChecksumExt); statErr == nil {
		// A .sha256 without its .json (copied by hand?): it still guards the content.
		if err := store.VerifyChecksum(ctx, path); err != nil {
			return nil, fmt.Errorf("refusing to unpack %s: %w", path, err)
		}
	} else {
		env.log.WithField("archive", path).Warn("no checksum sidecar: unpacking without checking the archive's SHA-256")
	}
	return store.Open(path, identities...)
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

// A command's standard input or output may block for good: a terminal nobody types
// into, a pipe whose other end neither writes nor reads. The signal context then
// must still stop the command: each read or write runs in a goroutine, and when ctx
// ends first the call returns ctx's error, leaving the goroutine blocked until the
// process exits (right after: the command is over).

type ioResult struct {
	n   int
	err error
}

// ctxReader reads from r until ctx is done, however long a read blocks.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte
	done chan ioResult
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	return &ctxReader{ctx: ctx, r: r, done: make(chan ioResult, 1)}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	// The goroutine reads into a buffer of its own: after a cancel it may still
	// fill it, never p.
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.done <- ioResult{n, err}
	}()
	select {
	case res := <-c.done:
		return copy(p, buf[:res.n]), res.err
	case <-c.ctx.Done():
		c.buf = nil // the abandoned read owns it now
		return 0, c.ctx.Err()
	}
}

// ctxWriter writes to w until ctx is done, however long a write blocks.
type ctxWriter struct {
	ctx  context.Context
	w    io.Writer
	buf  []byte
	done chan ioResult
}

func newCtxWriter(ctx context.Context, w io.Writer) *ctxWriter {
	return &ctxWriter{ctx: ctx, w: w, done: make(chan ioResult, 1)}
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	c.buf = append(c.buf[:0], p...)
	buf := c.buf
	go func() {
		n, err := c.w.Write(buf)
		c.done <- ioResult{n, err}
	}()
	select {
	case res := <-c.done:
		return res.n, res.err
	case <-c.ctx.Done():
		c.buf = nil // the abandoned write owns it now
		return 0, c.ctx.Err()
	}
}
