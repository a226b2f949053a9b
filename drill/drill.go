// Package drill proves that an archive restores: it starts a scratch container
// from the image the archive was made with (no network, no published ports, a
// memory limit, storage that goes with it), restores the archive into it with the
// engine's own restore, checks what the restore left against what the dump held,
// and removes the container whatever happens. Run is the whole test-restore;
// Sweep removes the scratch containers a killed run left behind.
package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// Options for one test-restore.
type Options struct {
	Archive string
	// Root, when set, is the destination Archive is below: nothing between
	// them is reached through a link (the agent's test-restores of archives on
	// a volume its consumers may write to). "": Archive is opened as given.
	Root    string
	Keys    Keys
	Image   string        // the image to restore into; "" for the one the archive records
	Timeout time.Duration // the whole test-restore; 0 for DefaultTimeout
	Memory  int64         // the scratch container's memory limit in bytes; 0 for DefaultMemory
	Owner   string        // LabelOwner's value: "cli", "agent"
	Log     *logrus.Entry
	// Inspect, when set, is called with the scratch container's ID once it runs
	// (tests look at it).
	Inspect func(id string)
}

// Defaults of Options.
const (
	DefaultTimeout = 30 * time.Minute
	DefaultMemory  = 1 << 30
	scratchPids    = 1024
	readyTimeout   = 3 * time.Minute
	removeTimeout  = 2 * time.Minute
)

// Run test-restores an archive. The report lists every check; the error is non-nil
// when the test-restore could not be done or a check failed, and names the first
// failing check. The scratch container is removed before Run returns, whatever
// happened (a killed process leaves it to Sweep).
func Run(ctx context.Context, h Host, opts Options) (*Report, error) {
	opts = withDefaults(opts)
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	rep := &Report{Archive: opts.Archive, Started: time.Now()}
	defer func() { rep.Duration = time.Since(rep.Started) }()
	src, err := OpenBelow(ctx, opts.Root, opts.Archive, opts.Keys)
	if err != nil {
		return rep, rep.fail("open the archive", err)
	}
	defer src.Dump.Close()
	if src.Database == "" { // a Ruby-era archive whose .meta does not say
		src.Database = unnamedDatabase
	}
	rep.Engine, rep.Database, rep.Expected, rep.SHA256 = src.Engine, src.Database, src.Contents, src.SHA256
	if err := plainName(src.Database); err != nil { // it reaches the image's entrypoint
		return rep, rep.fail("archive", fmt.Errorf("the database it records: %w", err))
	}
	eng, in, err := lookup(src.Engine)
	if err != nil {
		return rep, rep.fail("engine", err)
	}
	password := randomHex(16)
	scratch, err := in.Scratch(engines.ScratchDump{Database: src.Database, Contents: src.Contents, Password: password})
	if err != nil {
		return rep, rep.fail("engine", err)
	}
	if rep.Image, err = chooseImage(ctx, h, opts.Image, src); err != nil {
		return rep, rep.fail("image", err)
	}
	target, remove, err := startScratch(ctx, h, opts, rep, scratch, password)
	if remove != nil {
		defer remove()
	}
	if err != nil {
		return rep, err
	}
	return rep, prove(ctx, h, rep, eng, in, scratch, target, src)
}

func withDefaults(opts Options) Options {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Memory <= 0 {
		opts.Memory = DefaultMemory
	}
	if opts.Owner == "" {
		opts.Owner = "cli"
	}
	if opts.Log == nil {
		opts.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return opts
}

func lookup(name string) (engines.Engine, engines.Inspector, error) {
	reg := engines.Default()
	if name == "" {
		return nil, nil, errors.New("the archive does not say which engine made it")
	}
	eng, err := reg.Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	in, err := reg.Inspector(name)
	return eng, in, err
}

// chooseImage picks the image: the one given, else the one recorded (by ID when
// the engine still has it: the very image; else by name).
func chooseImage(ctx context.Context, h Host, given string, src *Source) (string, error) {
	if given != "" {
		return given, nil
	}
	if src.Image == nil || (src.Image.ID == "" && src.Image.Name == "") {
		return "", fmt.Errorf("the %s records no image: name one with --image", src.Kind)
	}
	if src.Image.ID != "" {
		if ok, err := h.ImageExists(ctx, src.Image.ID); err != nil {
			return "", err
		} else if ok {
			return src.Image.ID, nil
		}
	}
	if src.Image.Name != "" {
		if ok, err := h.ImageExists(ctx, src.Image.Name); err != nil {
			return "", err
		} else if ok {
			return src.Image.Name, nil
		}
	}
	return "", fmt.Errorf("neither the recorded image %s nor its ID %s is on this Docker engine: pull it, or name one with --image",
		src.Image.Name, src.Image.ID)
}

// startScratch creates and starts the scratch container, checks it has no
// network, and waits for its server. remove (non-nil once the container exists)
// removes it with a context of its own, so a timeout still cleans up.
func startScratch(ctx context.Context, h Host, opts Options, rep *Report, s engines.Scratch, password string) (engines.Target, func(), error) {
	name := scratchName(rep.Engine)
	deadline := time.Now().Add(opts.Timeout + removeTimeout).UTC().Format(time.RFC3339)
	id, err := h.CreateScratch(ctx, ScratchSpec{Name: name, Image: rep.Image, Env: s.Env, Entrypoint: s.Entrypoint, Cmd: s.Cmd,
		Memory: opts.Memory, Pids: scratchPids, Labels: map[string]string{
			LabelScratch: "true", LabelDeadline: deadline, LabelOwner: opts.Owner, LabelArchive: filepath.Base(opts.Archive)}})
	if err != nil {
		return engines.Target{}, nil, rep.fail("scratch container", err)
	}
	rep.Container = name
	remove := func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		if err := h.Remove(rctx, id); err != nil {
			opts.Log.WithError(err).WithField("container", name).Error("the scratch container could not be removed; a later sweep removes it")
		}
	}
	if err := h.Start(ctx, id); err != nil {
		return engines.Target{}, remove, rep.fail("scratch container", err)
	}
	if opts.Inspect != nil {
		opts.Inspect(id)
	}
	if err := rep.add(isolation(ctx, h, id)); err != nil {
		return engines.Target{}, remove, err
	}
	target := engines.Target{Container: docker.Container{ID: id, Name: name}, Spec: s.Spec}
	if err := waitReady(ctx, h, s, &target, id); err != nil {
		return target, remove, rep.fail("server ready", err)
	}
	return target, remove, nil
}

// isolation checks the scratch container has no network: mode none, on no network
// but "none".
func isolation(ctx context.Context, h Host, id string) engines.Check {
	check := engines.Check{Name: "scratch container has no network"}
	mode, networks, _, err := h.Isolation(ctx, id)
	switch {
	case err != nil:
		check.Err = err
	case mode != "none" || len(networks) > 1 || (len(networks) == 1 && networks[0] != "none"):
		check.Err = fmt.Errorf("network mode %q, networks %v", mode, networks)
	default:
		check.Detail = "network mode none"
	}
	return check
}

// waitReady polls the engine's readiness check until it passes, the container
// stops, or readyTimeout passes. It fills in the target's environment (the
// engines read credentials from it).
func waitReady(ctx context.Context, h Host, s engines.Scratch, target *engines.Target, id string) error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for {
		if c, err := h.Inspect(ctx, id); err == nil {
			target.Container.Env, target.Container.Image = c.Env, c.Image
		}
		if last = s.Ready(ctx, h, *target); last == nil {
			return nil
		}
		_, _, running, err := h.Isolation(ctx, id)
		if err == nil && !running {
			return fmt.Errorf("the scratch container stopped before its server was ready (last: %v)", last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %s: %w", readyTimeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(time.Second):
		}
	}
}

// plainName refuses a recorded name (metadata is read from a volume others may
// write) that the image's own scripts could mistake for more than a name.
func plainName(name string) error {
	if len(name) > 255 {
		return fmt.Errorf("%d bytes long", len(name))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '`' || r == '\\' {
			return fmt.Errorf("%q holds a control character, a backquote or a backslash", name)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// prove restores the dump into the scratch server and checks the result.
func prove(ctx context.Context, h Host, rep *Report, eng engines.Engine, in engines.Inspector, s engines.Scratch,
	target engines.Target, src *Source) error {
	if s.Prepare != nil {
		if err := s.Prepare(ctx, h, target); err != nil {
			return rep.fail("prepare the scratch server", err)
		}
	}
	counter := in.NewCounter(src.Database)
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var dump io.Reader = &cancelOnError{r: io.TeeReader(src.Dump, counter), cancel: cancel}
	if s.Input != nil {
		dump = s.Input(dump)
	}
	restoreErr := restore(rctx, h, eng, target, dump, src)
	streamed, countErr := counter.Contents()
	nameAsRestored(streamed, src.Database, target.Spec.All)
	if restoreErr != nil {
		return rep.fail("restore", restoreErr)
	}
	_ = rep.add(engines.Check{Name: "restore", Detail: eng.Name() + " restore completed"})
	expected := rep.expected(streamed, countErr)
	if expected == nil {
		return rep.fail("counts", fmt.Errorf("neither the metadata nor the dump gives counts to compare with: %v", countErr))
	}
	restored, err := in.Survey(ctx, h, target, expected, true)
	if err != nil {
		return rep.fail("survey the restored data", err)
	}
	rep.Restored = restored
	for _, c := range engines.CompareContents(expected, restored) {
		_ = rep.add(c)
	}
	if s.Integrity != nil {
		for _, c := range s.Integrity(ctx, h, target) {
			_ = rep.add(c)
		}
	}
	return rep.err()
}

// nameAsRestored names the database of a one-database dump as the scratch
// server has it (the archive's database), whatever the dump's header said. A
// dump of every database (all, or an engine whose archives always record "all":
// Redis) keeps the names it holds, even when it holds one.
func nameAsRestored(streamed *store.Contents, database string, all bool) {
	if streamed != nil && !all && database != allDatabases && len(streamed.Databases) == 1 {
		streamed.Databases[0].Name = database
	}
}

// allDatabases is what an archive records as its database when it holds every
// database (engines.Engine.Database).
const allDatabases = "all"

// unnamedDatabase is the scratch database of a dump whose database is not recorded.
const unnamedDatabase = "restored"

// restore loads the dump: a Ruby-era dump through package legacy (SQLite's .dump
// text is built into a database file first), any other through the engine.
func restore(ctx context.Context, rt engines.Runtime, eng engines.Engine, target engines.Target, dump io.Reader, src *Source) error {
	if src.Kind == KindLegacy {
		return legacy.Restore(ctx, rt, eng, target, dump)
	}
	return eng.Restore(ctx, rt, target, dump)
}

// cancelOnError cancels the restore's context when reading the archive fails, so
// a tool waiting for more input stops.
type cancelOnError struct {
	r      io.Reader
	cancel context.CancelCauseFunc
}

func (c *cancelOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.cancel(err)
	}
	return n, err
}
