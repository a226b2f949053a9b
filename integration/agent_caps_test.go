//go:build integration

package integration

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// heapBound is more than an idle agent with one backup ever holds, and far less
// than reading a device without end would take.
const heapBound = 256 << 20

// heapWatch samples the process's heap until stopped and calls over once when it
// passes heapBound (so a runaway read is stopped before it takes the machine).
type heapWatch struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak uint64
}

func watchHeap(over func()) *heapWatch {
	w := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		fired := false
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			w.mu.Lock()
			w.peak = max(w.peak, m.HeapAlloc)
			w.mu.Unlock()
			if m.HeapAlloc > heapBound && !fired {
				fired = true
				over()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

// end stops the watch and returns the highest heap it saw.
func (w *heapWatch) end() uint64 {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// A container whose password_file label names /dev/zero: the backup fails at once
// with an error naming the label (never the file's content), and the agent's heap
// stays bounded while it reads. Before the cap, the read grew the heap without end.
func TestAgentPasswordFileDevZeroIsCapped(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	runtime.GC()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "0", "BT_BACKUP_TIMEOUT": "2m"}, nil)
	name := rig.Start(t, dc, rig.ContainerSpec{Name: "caps-devzero", Image: rig.PostgresImage,
		Env: []string{"POSTGRES_PASSWORD=caps-" + run},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", rig.RunLabel: run,
			labels.PasswordFile: "/dev/zero", labels.OnStart: "true"}})

	watch := watchHeap(func() { ta.cancel() }) // stop the runaway read: the test fails below
	var att agent.Attempt
	waitUntil(t, 2*time.Minute, func() string { return "no finished attempt; logs:\n" + ta.logs.String() }, func() bool {
		atts := ta.attempts(name)
		if len(atts) > 0 {
			att = atts[0]
		}
		return len(atts) > 0 || ta.logs.Contains("agent stopped")
	})
	peak := watch.end()
	t.Logf("peak heap while the backup read /dev/zero: %d MiB", peak>>20)
	if peak > heapBound {
		t.Fatalf("the agent's heap reached %d MiB reading a password file of /dev/zero (bound %d MiB)", peak>>20, heapBound>>20)
	}
	if att.Outcome != agent.Failed {
		t.Fatalf("attempt %+v: want failed", att)
	}
	t.Logf("error: %s", att.Error)
	for _, want := range []string{"container " + name, "label " + labels.PasswordFile, "larger than"} {
		if !strings.Contains(att.Error, want) {
			t.Errorf("error %q does not say %q", att.Error, want)
		}
	}
	if strings.Contains(att.Error, "\x00") || strings.Contains(att.Error, "/dev/zero") {
		t.Errorf("error %q repeats the label's value or the file's content", att.Error)
	}
}

// docker.Exec stops reading past MaxOutput: a command that writes without end
// fails with ErrOutputLimit instead of filling the caller's buffer.
func TestDockerExecCapsOutput(t *testing.T) {
	dc := rig.Docker(t)
	name := rig.Start(t, dc, rig.ContainerSpec{Name: "caps-exec", Image: rig.SQLiteImage, Cmd: []string{"sleep", "infinity"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out strings.Builder
	err := dc.Exec(ctx, docker.ExecSpec{Container: name, Cmd: []string{"cat", "/dev/zero"}, Stdout: &out, MaxOutput: 4096})
	if !errors.Is(err, docker.ErrOutputLimit) {
		t.Fatalf("cat /dev/zero with MaxOutput 4096: %v, want ErrOutputLimit", err)
	}
	if out.Len() > 4096 {
		t.Errorf("%d bytes reached the writer, more than MaxOutput", out.Len())
	}
	// Within the limit, the output arrives whole.
	out.Reset()
	if err := dc.Exec(ctx, docker.ExecSpec{Container: name, Cmd: []string{"head", "-c", "4096", "/dev/zero"}, Stdout: &out, MaxOutput: 4096}); err != nil {
		t.Fatalf("4096 bytes with MaxOutput 4096: %v", err)
	}
	if out.Len() != 4096 {
		t.Errorf("got %d bytes, want 4096", out.Len())
	}
}
