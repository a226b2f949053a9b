//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// standinEngineLabel is the engine label of stand-in containers; only the tests' own
// registry knows it.
const standinEngineLabel = "standin"

// Labels of stand-in containers that shape their dump (not baktainer.* labels).
const (
	dumpBytesLabel   = "com.baktainer-test.dump-bytes"   // default 65536
	dumpSecondsLabel = "com.baktainer-test.dump-seconds" // default 0.2
	leakLabel        = "com.baktainer-test.fail-leaking" // fail with the password in the error
)

// Framing written by /testhelper dump (integration/testhelper).
var (
	standinHeader = []byte("BAKTAINER-STANDIN-DUMP v1\n")
	standinFooter = []byte("BAKTAINER-STANDIN-DUMP END\n")
)

// standin is the load tests' stand-in database: its dump is /testhelper dump BYTES
// SECONDS, run by a real exec in a FROM-scratch container. It counts the dumps in
// flight, per container and in all, from inside Dump: real concurrency over real
// execs.
type standin struct {
	engines.Uninspected // counts nothing, proves nothing
	flight              *inFlight
}

var _ engines.Engine = standin{}

func standinRegistry() (*engines.Registry, *inFlight) {
	f := newInFlight()
	return engines.NewRegistry(standin{flight: f}), f
}

func (standin) Name() string                   { return standinEngineLabel }
func (standin) Extension() string              { return "dump" }
func (standin) Validate(labels.Spec) error     { return nil }
func (standin) Database(engines.Target) string { return "standin" }
func (standin) Example() engines.Example       { return engines.Example{} }
func (standin) Restore(context.Context, engines.Runtime, engines.Target, io.Reader) error {
	return errors.New("standin: no restore")
}

func (s standin) Dump(ctx context.Context, ex engines.Execer, t engines.Target, w io.Writer) error {
	s.flight.enter(t.Container.ID)
	defer s.flight.leave(t.Container.ID)
	size, secs := t.Container.Labels[dumpBytesLabel], t.Container.Labels[dumpSecondsLabel]
	if size == "" {
		size = "65536"
	}
	if secs == "" {
		secs = "0.2"
	}
	// Like a real engine, the password travels in the exec environment only.
	err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"/testhelper", "dump", size, secs},
		Env: []string{"STANDIN_PASSWORD=" + t.Spec.Password}, Stdout: w})
	if err != nil {
		return fmt.Errorf("container %s: standin dump: %w", t.Container.Name, err)
	}
	if t.Container.Labels[leakLabel] != "" {
		// A careless engine: the agent must scrub this before it reaches anyone.
		return fmt.Errorf("container %s: standin refused password %q and env %q", t.Container.Name,
			t.Spec.Password, t.Container.Env["STANDIN_SECRET"])
	}
	return nil
}

func (standin) CheckComplete(head, tail []byte) error {
	if !bytes.HasPrefix(head, standinHeader) || !bytes.HasSuffix(tail, standinFooter) {
		return engines.ErrIncomplete
	}
	return nil
}

// inFlight counts concurrent work per key and in all, and keeps the maxima.
type inFlight struct {
	mu             sync.Mutex
	now            map[string]int
	total, maxAll  int
	maxPerKey      int
	started, ended int
}

func newInFlight() *inFlight { return &inFlight{now: map[string]int{}} }

func (f *inFlight) enter(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now[key]++
	f.total++
	f.started++
	f.maxAll = max(f.maxAll, f.total)
	f.maxPerKey = max(f.maxPerKey, f.now[key])
}

func (f *inFlight) leave(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now[key]--
	f.total--
	f.ended++
}

func (f *inFlight) maxima() (all, perKey, started, ended int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxAll, f.maxPerKey, f.started, f.ended
}

// flightObserver counts attempts in flight through the agent's observer mechanism.
type flightObserver struct{ *inFlight }

var _ agent.Observer = flightObserver{}

func (o flightObserver) BackupStarted(a agent.Attempt)  { o.enter(a.ContainerID) }
func (o flightObserver) BackupFinished(a agent.Attempt) { o.leave(a.ContainerID) }
