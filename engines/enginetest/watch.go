package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// listCmdlines prints the command line of every process in the container, one per
// line, each argument ended by a NUL byte as the kernel keeps them, so the exact
// argv words can be told apart.
var listCmdlines = []string{"bash", "-c",
	`for f in /proc/[0-9]*/cmdline; do cat "$f"; echo; done 2>/dev/null; true`}

// cmdlines returns the command lines of the container's processes.
func cmdlines(ctx context.Context, dc *docker.Client, container string) ([]string, error) {
	var out bytes.Buffer
	err := dc.Exec(ctx, docker.ExecSpec{Container: container, Cmd: listCmdlines, Stdout: &out})
	return strings.Split(out.String(), "\n"), err
}

// argv splits a command line of cmdlines into its words.
func argv(cmdline string) []string {
	return strings.Split(strings.TrimSuffix(cmdline, "\x00"), "\x00")
}

// runs reports whether a command line is tool's.
func runs(cmdline, tool string) bool {
	argv0 := argv(cmdline)[0]
	return argv0 != "" && path.Base(argv0) == tool
}

// watch scans every process's command line in a container, over and over, until
// stopped: it counts the scans that saw the dump tool running, and fails the test
// if any command line holds the planted password.
type watch struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	seen  int        // scans that saw the tool
	leaks []string   // argv[0] of processes whose command line held the password
	errs  int        // scans that failed
	argvs [][]string // the tool's distinct command lines
}

func startWatch(t *testing.T, dc *docker.Client, c Container, tool string) *watch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{t: t, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			lines, err := cmdlines(ctx, dc, c.Name)
			w.mu.Lock()
			if err != nil && ctx.Err() == nil {
				w.errs++
			}
			saw := false
			for _, line := range lines {
				if runs(line, tool) {
					saw = true
					w.record(argv(line))
				}
				if c.Secret != "" && strings.Contains(line, c.Secret) {
					w.leaks = append(w.leaks, argv(line)[0])
				}
			}
			if saw {
				w.seen++
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// record keeps a command line of the tool, once (w.mu held).
func (w *watch) record(words []string) {
	for _, seen := range w.argvs {
		if slices.Equal(seen, words) {
			return
		}
	}
	w.argvs = append(w.argvs, words)
}

// waitSeen waits until n scans saw the tool, or timeout passes.
func (w *watch) waitSeen(n int, timeout time.Duration) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		seen := w.seen
		w.mu.Unlock()
		if seen >= n {
			return
		}
	}
}

// stop ends the watch, reports leaks, and returns how many scans saw the tool and
// the tool's command lines.
func (w *watch) stop() (int, [][]string) {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.leaks) > 0 {
		w.t.Errorf("the planted password appeared in the command line of %v inside the container", w.leaks)
	}
	if w.errs > 0 {
		w.t.Logf("%d scans of the container's processes failed", w.errs)
	}
	return w.seen, w.argvs
}

// countRunning returns how many of the container's processes run tool, now.
func countRunning(t *testing.T, dc *docker.Client, c Container, tool string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines, err := cmdlines(ctx, dc, c.Name)
	if err != nil {
		t.Fatalf("list the processes of %s: %v", c.Name, err)
	}
	n := 0
	for _, line := range lines {
		if runs(line, tool) {
			n++
		}
	}
	return n
}

func kill(ctx context.Context, dc *docker.Client, container string) error {
	if _, err := dc.API().ContainerKill(ctx, container, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("kill %s: %w", container, err)
	}
	return nil
}

// gate is an Execer that holds the output of the dump tool's command (the exec of
// tool with an output) until opened: the tool blocks on its full pipe, alive, while
// the test looks at it. Opened at a trickle, it keeps the tool streaming for seconds.
type gate struct {
	engines.Execer
	tool      string
	started   chan struct{} // closed when the tool first writes
	opened    chan struct{}
	startOnce sync.Once
	openOnce  sync.Once
	perByte   time.Duration // set before opened is closed: the trickle's pace
}

func newGate(ex engines.Execer, tool string) *gate {
	return &gate{Execer: ex, tool: tool, started: make(chan struct{}), opened: make(chan struct{})}
}

func (g *gate) open() { g.openOnce.Do(func() { close(g.opened) }) }

// trickle opens the gate at bytesPerSecond.
func (g *gate) trickle(bytesPerSecond int) {
	g.openOnce.Do(func() {
		g.perByte = time.Second / time.Duration(bytesPerSecond)
		close(g.opened)
	})
}

// Exec implements engines.Execer.
func (g *gate) Exec(ctx context.Context, spec docker.ExecSpec) error {
	if len(spec.Cmd) > 0 && spec.Cmd[0] == g.tool && spec.Stdout != nil {
		spec.Stdout = gatedWriter{ctx: ctx, g: g, w: spec.Stdout}
	}
	return g.Execer.Exec(ctx, spec)
}

type gatedWriter struct {
	ctx context.Context
	g   *gate
	w   io.Writer
}

func (w gatedWriter) Write(p []byte) (int, error) {
	w.g.startOnce.Do(func() { close(w.g.started) })
	select {
	case <-w.g.opened:
	case <-w.ctx.Done():
		return 0, w.ctx.Err()
	}
	if w.g.perByte > 0 {
		time.Sleep(w.g.perByte * time.Duration(len(p)))
	}
	return w.w.Write(p)
}
