package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// Scheduled test-restores (docs/RESTORE.md): on BT_VERIFY_CRON, or a container's
// baktainer.verify.schedule, the newest archive of the target is restored into a
// scratch container (package drill) and proven with the engine's checks. At most
// BT_VERIFY_THREADS run at once, and never one while a backup of its container
// or backup name is queued or running: it waits for that backup, and a backup
// that comes while it runs waits for it. A passed test-restore is sealed with the
// agent's key and written into the archive's .json (retention then keeps the
// newest such archive); every test-restore goes into the test-restore history,
// /status, the metrics, the dashboard and, when it fails, a notification.

// TestRestorer restores archives into scratch containers and proves them:
// package drill on the Docker engine (DrillRestorer). The agent's unit tests
// fake it.
type TestRestorer interface {
	// TestRestore runs one test-restore (drill.Run): the report lists every
	// check, the error names the first that failed. The scratch container is
	// gone when it returns.
	TestRestore(ctx context.Context, opts drill.Options) (*drill.Report, error)
	// Sweep removes the scratch containers no test-restore will remove: past
	// their deadline, or left by owner's earlier run (drill.Sweep).
	Sweep(ctx context.Context, owner string, now time.Time) ([]string, error)
}

// DrillRestorer is TestRestorer on a Docker engine.
type DrillRestorer struct{ Host drill.Host }

var _ TestRestorer = DrillRestorer{}

// TestRestore implements TestRestorer.
func (d DrillRestorer) TestRestore(ctx context.Context, opts drill.Options) (*drill.Report, error) {
	return drill.Run(ctx, d.Host, opts)
}

// Sweep implements TestRestorer.
func (d DrillRestorer) Sweep(ctx context.Context, owner string, now time.Time) ([]string, error) {
	return drill.Sweep(ctx, d.Host, owner, now)
}

// testRestorerFor is the test-restorer of deps: its own, else drill on the
// agent's Docker client; nil when there is none (test-restores then fail, saying so).
func testRestorerFor(deps Deps) TestRestorer {
	if deps.TestRestorer != nil {
		return deps.TestRestorer
	}
	if c, ok := deps.Docker.(*docker.Client); ok {
		return DrillRestorer{Host: &drill.DockerHost{Client: c}}
	}
	return nil
}

// TriggerAPI and TriggerSchedule say why a test-restore ran, as for backups.

// Outcomes of test-restores besides an attempt's: one that found no archive to
// test, and one the agent's stop (or kill) cut short, which says nothing of
// the archive (no failure is counted or notified).
const (
	Skipped   Outcome = "skipped"
	Cancelled Outcome = "cancelled"
)

// TestRestore is one test-restore of one target's newest archive. Its Error is
// scrubbed of the target's secrets.
type TestRestore struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"` // the backup name
	Container   string      `json:"container"`
	ContainerID string      `json:"container_id"`
	Engine      string      `json:"engine,omitempty"`
	Trigger     Trigger     `json:"trigger"`
	Outcome     Outcome     `json:"outcome"` // queued, running, succeeded, failed, skipped or cancelled
	Queued      time.Time   `json:"queued"`
	Started     time.Time   `json:"started,omitzero"`
	Ended       time.Time   `json:"ended,omitzero"`
	Archive     string      `json:"archive,omitempty"`
	SHA256      string      `json:"sha256,omitempty"`  // of the archive tested
	Image       string      `json:"image,omitempty"`   // the scratch container's image
	Scratch     string      `json:"scratch,omitempty"` // the scratch container's name
	Checks      []TestCheck `json:"checks,omitempty"`
	// FailedCheck names the first check that failed (the step, when the
	// test-restore could not be done).
	FailedCheck string               `json:"failed_check,omitempty"`
	Error       string               `json:"error,omitempty"`
	Counts      *store.RestoreCounts `json:"counts,omitempty"` // what the restored server held
	// Recorded says the result was sealed into the archive's .json.
	Recorded bool `json:"recorded,omitempty"`
}

// TestCheck is one check of a test-restore.
type TestCheck struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Duration is how long the test-restore ran (zero until it ended).
func (tr TestRestore) Duration() time.Duration {
	if tr.Started.IsZero() || tr.Ended.IsZero() {
		return 0
	}
	return tr.Ended.Sub(tr.Started)
}

// TestRestoreRequest asks for a test-restore now: the body of POST /api/v1/verify.
type TestRestoreRequest struct {
	Container string `json:"container"` // container name or ID, or backup name
}

// TestRestoreBusyError is returned when a test-restore of the target is
// already queued or running.
type TestRestoreBusyError struct{ TestRestore TestRestore }

func (e *TestRestoreBusyError) Error() string {
	return fmt.Sprintf("a test-restore of %s is already %s (%s)", e.TestRestore.Name, e.TestRestore.Outcome, e.TestRestore.ID)
}

// TestRestoreObserver is an Observer that also follows test-restores (the
// metrics, the notifications). Optional, like WarningObserver. A skipped
// test-restore is not reported.
type TestRestoreObserver interface {
	TestRestoreStarted(tr TestRestore)
	TestRestoreFinished(tr TestRestore)
}

// verifier is the agent's test-restore state.
type verifier struct {
	cfg      config.Verify
	restorer TestRestorer
	slots    chan struct{} // one per BT_VERIFY_THREADS
	key      []byte        // seals results; loaded by Run
	owner    string        // drill.LabelOwner of this agent's scratch containers
	history  *testRestoreHistory

	mu      sync.Mutex
	active  map[string]*TestRestore  // queued and running, by ID
	byName  map[string]string        // backup name → ID of its queued or running one
	running map[string]chan struct{} // backup name → closed when its running one ends
	reading map[string]bool          // archives being test-restored
}

func newVerifier(cfg config.Verify, deps Deps) *verifier {
	return &verifier{cfg: cfg, restorer: testRestorerFor(deps), slots: make(chan struct{}, max(cfg.Threads, 1)),
		active: map[string]*TestRestore{}, byName: map[string]string{}, running: map[string]chan struct{}{},
		reading: map[string]bool{}}
}

// verifySchedule sets e's test-restore schedule: its label's, else
// BT_VERIFY_CRON; none when off.
func (a *Agent) verifySchedule(e *entry) {
	spec := e.target.Spec.VerifySchedule
	if spec == "" {
		spec = a.cfg.Verify.Schedule
	}
	if spec == "" || spec == labels.VerifyOff || e.problem != nil {
		return
	}
	sched, err := labels.ParseSchedule(spec)
	if err != nil { // validated by config and labels.Parse
		e.problem = fmt.Errorf("container %s: test-restore schedule %q: %w", e.target.Container.Name, spec, err)
		return
	}
	e.verifySpec, e.verifySched = spec, sched
}

// RunTestRestore queues a test-restore of the newest archive of the target ref
// names (container name or ID, or backup name) and returns it queued.
func (a *Agent) RunTestRestore(ref string) (TestRestore, error) {
	e, err := a.targets.find(ref)
	if err != nil {
		return TestRestore{}, err
	}
	return a.requestTestRestore(e, TriggerAPI)
}

// fireTestRestore is what a target's test-restore cron entry runs.
func (a *Agent) fireTestRestore(id string) {
	e, ok := a.targets.get(id)
	if !ok {
		return
	}
	if _, err := a.requestTestRestore(e, TriggerSchedule); err != nil {
		a.log.WithFields(logrus.Fields{"container": e.target.Container.Name, "name": e.name()}).
			Infof("scheduled test-restore not queued: %v", err)
	}
}

// requestTestRestore queues a test-restore of e unless one is queued or running.
func (a *Agent) requestTestRestore(e *entry, why Trigger) (TestRestore, error) {
	if e.problem != nil {
		return TestRestore{}, &InvalidTargetError{a.scrub(e.problem.Error(), e.target)}
	}
	a.mu.Lock()
	ctx, stopping := a.runCtx, a.stopping
	a.mu.Unlock()
	switch {
	case stopping:
		return TestRestore{}, errors.New("agent: shutting down")
	case ctx == nil:
		return TestRestore{}, errors.New("agent: not running yet")
	}
	v := a.verify
	v.mu.Lock()
	defer v.mu.Unlock()
	if id, ok := v.byName[e.name()]; ok {
		return TestRestore{}, &TestRestoreBusyError{TestRestore: *v.active[id]}
	}
	tr := &TestRestore{ID: newAttemptID(), Name: e.name(), Container: e.target.Container.Name, ContainerID: e.id(),
		Engine: e.engine.Name(), Trigger: why, Outcome: Queued, Queued: time.Now().UTC()}
	v.active[tr.ID], v.byName[tr.Name] = tr, tr.ID
	a.running.Add(1)
	go a.executeTestRestore(ctx, *tr)
	return *tr, nil
}

// TestRestoreByID returns a test-restore by ID: queued, running or finished.
func (a *Agent) TestRestoreByID(id string) (TestRestore, bool) {
	v := a.verify
	v.mu.Lock()
	cur, ok := v.active[id]
	var tr TestRestore
	if ok {
		tr = *cur
	}
	v.mu.Unlock()
	if ok {
		return tr, true
	}
	if v.history != nil {
		return v.history.get(id)
	}
	return TestRestore{}, false
}

// TestRestores returns up to limit test-restores, newest first: the queued and
// running ones, then the finished ones; of one backup name, or of all when name
// is empty (limit 0: every one kept). It is GET /api/v1/verify.
func (a *Agent) TestRestores(name string, limit int) []TestRestore {
	v := a.verify
	out := []TestRestore{}
	seen := map[string]bool{}
	v.mu.Lock()
	for _, tr := range v.active {
		if name == "" || tr.Name == name {
			out, seen[tr.ID] = append(out, *tr), true
		}
	}
	v.mu.Unlock()
	slices.SortStableFunc(out, func(x, y TestRestore) int { return y.Queued.Compare(x.Queued) })
	if v.history != nil {
		for _, tr := range v.history.recent(name, limit) {
			if !seen[tr.ID] {
				out = append(out, tr)
			}
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
