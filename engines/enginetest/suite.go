// Package enginetest is the suite every engine passes against real containers, in
// the manner of restic's backend/test: an integration test describes its engine's
// containers in a Fixture, supplies the real machinery in a Harness (Docker, the
// real backup pipeline, the archive reader), and Run drives the same checks for
// every engine:
//
//   - RoundTrip: seed a source container, back it up through the real pipeline
//     while watching every process's command line inside the container for the
//     planted password, restore the archive into a fresh container, compare.
//   - Failures: wrong credentials, a wrong database, and the like, each a specific
//     error naming the container and the label, never the password, leaving no file.
//   - MissingTool: a container without the engine's tools gives ErrToolMissing.
//   - KillMidDump: the source container killed while its dump streams yields an
//     error and no archive.
//
// It imports neither agent nor the integration rig: the Harness brings them.
package enginetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Harness is the real machinery the suite drives.
type Harness struct {
	Docker *docker.Client
	// Backup runs the real backup pipeline (label resolution, the engine's Dump,
	// CheckComplete, the archive store) on container, running its commands through
	// ex and logging to log, and returns the archive's path. A non-nil labels map
	// stands in for the container's own labels, so one running server can be tried
	// with many label sets.
	Backup func(ctx context.Context, ex engines.Execer, log io.Writer, container string, labels map[string]string, dir string) (string, error)
	// Open returns the dump held in an archive, after checking its checksum.
	Open func(archive string) (io.ReadCloser, error)
	// StartBare starts a running container with the given labels and none of any
	// engine's tools, and returns its name.
	StartBare func(t *testing.T, labels map[string]string) string
}

// Role says what a fixture's container is for.
type Role int

const (
	// Source is labelled for backup and gets seeded.
	Source Role = iota
	// Fresh is a new container, set up as a user would, to restore into.
	Fresh
)

// Container is a container a fixture started.
type Container struct {
	Name   string
	Labels map[string]string // its baktainer labels
	Secret string            // the password planted in it; "" when the engine has none
}

// Fixture is what one engine brings to the suite.
type Fixture struct {
	Engine engines.Engine
	// DumpTool is argv[0] of the command that streams the dump out of the container.
	DumpTool string
	// Start starts a container for role without waiting for its database.
	Start func(t *testing.T, role Role) Container
	// Ready waits until the container's database answers.
	Ready func(t *testing.T, c Container)
	// Seed fills the source. The dump must come to several MiB, more than the pipes
	// and the Docker stream hold, so the dump tool is still running while the suite
	// looks at it.
	Seed func(t *testing.T, c Container)
	// Snapshot returns the seeded data in a canonical form.
	Snapshot func(t *testing.T, c Container) string
	// Compare, when set, replaces Snapshot equality (e.g. when the source kept
	// changing during the backup).
	Compare func(t *testing.T, source, restored Container)
	// WriteDuringBackup, when set, starts changing the source before the backup; the
	// returned stop is called once the backup is over.
	WriteDuringBackup func(t *testing.T, c Container) (stop func())
	// Failures are backups of the ready, seeded source under wrong labels.
	Failures []Failure
	// BareLabels are the labels, beyond baktainer.backup and baktainer.db.engine,
	// that get a container as far as running the engine's tools.
	BareLabels map[string]string
}

// Failure is a backup that must fail.
type Failure struct {
	Name string
	// Labels replace the source's labels for this backup.
	Labels map[string]string
	// Prepare, when set, runs in the source before the backup (e.g. writes a wrong
	// password file).
	Prepare func(t *testing.T, c Container)
	// Want are words the error must contain, besides the container's name.
	Want []string
	// Secrets must not appear in the error or the log, besides the source's own.
	Secrets []string
}

// killTrickle is the pace of the dump's output while its container is killed:
// slow enough that a dump of a few MiB takes many seconds.
const killTrickle = 512 << 10

// backupTimeout bounds one backup or restore in the suite.
const backupTimeout = 3 * time.Minute

// Run runs the suite for one engine. Engines can run in parallel: call t.Parallel
// before Run.
func Run(t *testing.T, h Harness, fx Fixture) {
	t.Run("MissingTool", func(t *testing.T) {
		t.Parallel()
		missingTool(t, h, fx)
	})
	t.Run("Source", func(t *testing.T) {
		src := fx.Start(t, Source)
		fresh := fx.Start(t, Fresh) // starts while the source is seeded and backed up
		fx.Ready(t, src)
		fx.Seed(t, src)
		t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, h, fx, src, fresh) })
		t.Run("Failures", func(t *testing.T) { failures(t, h, fx, src) })
		t.Run("KillMidDump", func(t *testing.T) { killMidDump(t, h, fx, src) }) // last: src dies
	})
}

func roundTrip(t *testing.T, h Harness, fx Fixture, src, fresh Container) {
	dir := t.TempDir()
	var stop func()
	if fx.WriteDuringBackup != nil {
		stop = fx.WriteDuringBackup(t, src)
	}
	watch := startWatch(t, h.Docker, src, fx.DumpTool)
	gate := newGate(h.Docker, fx.DumpTool)
	// Hold the dump's output until the watch has seen the dump tool running a few
	// times: with its output blocked, the tool cannot finish early.
	go func() {
		<-gate.started
		watch.waitSeen(3, 30*time.Second)
		gate.open()
	}()
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), backupTimeout)
	defer cancel()
	archive, err := h.Backup(ctx, gate, &log, src.Name, nil, dir)
	gate.open()
	seen, argvs := watch.stop()
	if stop != nil {
		stop()
	}
	t.Logf("backup log:\n%s", log.String())
	checkNoSecret(t, "backup log", log.String(), src.Secret)
	if err != nil {
		checkNoSecret(t, "backup error", err.Error(), src.Secret)
		t.Fatalf("backup of %s: %v", src.Name, err)
	}
	if seen < 1 {
		t.Fatalf("the watch never saw %s running in %s: seed more data, so the dump outlasts the stream's buffers", fx.DumpTool, src.Name)
	}
	t.Logf("watched %s: seen running in %d scans of every /proc/*/cmdline, never with the password", fx.DumpTool, seen)
	for _, words := range argvs {
		t.Logf("%s argv: %q", fx.DumpTool, words)
		checkArgvShapes(t, words, src.Labels)
	}

	fx.Ready(t, fresh)
	restore(t, h, fx, archive, fresh)
	if fx.Compare != nil {
		fx.Compare(t, src, fresh)
		return
	}
	if want, got := fx.Snapshot(t, src), fx.Snapshot(t, fresh); want != got {
		t.Fatalf("restored data differs from the source:\n%s", firstDifference(want, got))
	}
}

func restore(t *testing.T, h Harness, fx Fixture, archive string, fresh Container) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), backupTimeout)
	defer cancel()
	r, err := h.Open(archive)
	if err != nil {
		t.Fatalf("open %s: %v", archive, err)
	}
	defer r.Close()
	c, err := h.Docker.Inspect(ctx, fresh.Name)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := labels.Parse(c.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.Engine.Restore(ctx, h.Docker, engines.Target{Container: c, Spec: spec}, r); err != nil {
		checkNoSecret(t, "restore error", err.Error(), fresh.Secret)
		t.Fatalf("restore into %s: %v", fresh.Name, err)
	}
}

func failures(t *testing.T, h Harness, fx Fixture, src Container) {
	for _, f := range fx.Failures {
		t.Run(f.Name, func(t *testing.T) {
			if f.Prepare != nil {
				f.Prepare(t, src)
			}
			dir := t.TempDir()
			var log bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), backupTimeout)
			defer cancel()
			_, err := h.Backup(ctx, h.Docker, &log, src.Name, f.Labels, dir)
			if err == nil {
				t.Fatalf("backup with labels %v succeeded; want an error", f.Labels)
			}
			t.Logf("error: %v", err)
			for _, want := range append([]string{"container " + src.Name}, f.Want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, secret := range append([]string{src.Secret}, f.Secrets...) {
				checkNoSecret(t, "error", err.Error(), secret)
				checkNoSecret(t, "log", log.String(), secret)
			}
			checkNoFiles(t, dir)
		})
	}
}

func missingTool(t *testing.T, h Harness, fx Fixture) {
	set := map[string]string{labels.Backup: "true", labels.Engine: fx.Engine.Name()}
	for k, v := range fx.BareLabels {
		set[k] = v
	}
	name := h.StartBare(t, set)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), backupTimeout)
	defer cancel()
	_, err := h.Backup(ctx, h.Docker, io.Discard, name, nil, dir)
	if !errors.Is(err, engines.ErrToolMissing) {
		t.Fatalf("backup of a container without %s's tools: err = %v, want ErrToolMissing", fx.Engine.Name(), err)
	}
	for _, want := range []string{"container " + name, "label " + labels.Engine + "=" + fx.Engine.Name()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	checkNoFiles(t, dir)
}

func killMidDump(t *testing.T, h Harness, fx Fixture, src Container) {
	dir := t.TempDir()
	gate := newGate(h.Docker, fx.DumpTool)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), backupTimeout)
		defer cancel()
		_, err := h.Backup(ctx, gate, io.Discard, src.Name, nil, dir)
		done <- err
	}()
	select {
	case <-gate.started:
	case err := <-done:
		t.Fatalf("backup ended before its dump streamed: %v", err)
	}
	if n := countRunning(t, h.Docker, src, fx.DumpTool); n == 0 {
		t.Fatalf("%s is not running in %s while its output is held", fx.DumpTool, src.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The engine finishes a kill only once the container's output is drained, so
	// the output flows at a trickle: the dump has seconds of streaming left when
	// the kill lands, and what the stream buffers drains while the kill completes.
	gate.trickle(killTrickle)
	began := time.Now()
	if err := kill(ctx, h.Docker, src.Name); err != nil {
		t.Fatal(err)
	}
	err := <-done
	t.Logf("killed %s mid-dump; the backup failed %s after the kill began", src.Name, time.Since(began).Round(time.Millisecond))
	if err == nil {
		t.Fatal("backup of a container killed mid-dump succeeded")
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, docker.ErrContainerStopped) {
		t.Errorf("error %v does not wrap docker.ErrContainerStopped", err)
	}
	checkNoFiles(t, dir)
}

// valueLabels are the labels whose values reach a tool's command line.
var valueLabels = []string{labels.User, labels.Database}

// checkArgvShapes fails the test when a label's value stands alone as an argv
// word before a "--": a value that begins with "-" would be read as an option
// there. Values travel as --option=value, after "--", or outside argv.
func checkArgvShapes(t *testing.T, words []string, set map[string]string) {
	t.Helper()
	for _, w := range words[1:] {
		if w == "--" {
			return
		}
		for _, l := range valueLabels {
			if v := set[l]; v != "" && w == v {
				t.Errorf("the value of label %s (%q) is a word of its own in %q: pass it as --option=value, after --, or outside argv", l, v, words)
			}
		}
	}
}

// checkNoSecret fails the test when text contains secret.
func checkNoSecret(t *testing.T, what, text, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(text, secret) {
		t.Errorf("the %s contains the planted password", what)
	}
}

// checkNoFiles fails the test when dir holds any file.
func checkNoFiles(t *testing.T, dir string) {
	t.Helper()
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) > 0 {
		t.Errorf("a failed backup left files: %v", files)
	}
}

// firstDifference shows where two snapshots part, for a readable failure.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n source:   " + clip(wl) + "\n restored: " + clip(gl)
		}
	}
	return "(same lines, different ends)"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
