package agent

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
)

// entry is one registered container: a valid target with a schedule, or a
// container whose labels are wrong (problem set, nothing scheduled).
type entry struct {
	target      engines.Target
	engine      engines.Engine
	problem     error
	schedule    string         // as labelled (baktainer.schedule), else BT_CRON
	sched       cron.Schedule  // every recurring run combined: the health rules' (Deadline)
	runs        []scheduledRun // one cron entry each (schedules.go)
	registered  time.Time
	destination string // which destination its archives go to (Destinations.Locate)
	heldBy      string // the container ID whose backup name it was refused (nameConflict)
	// Its test-restores' schedule (verify.go); nil when off.
	verifySpec   string
	verifySched  cron.Schedule
	verifyCronID cron.EntryID
}

func (e *entry) id() string   { return e.target.Container.ID }
func (e *entry) name() string { return BackupName(e.target) }

// TargetInfo is what the agent makes of one container's labels: the part of a
// target that `plan`, /api/v1/targets and /status all show.
type TargetInfo struct {
	Name        string    `json:"name"`
	Container   string    `json:"container"`
	ContainerID string    `json:"container_id"`
	Engine      string    `json:"engine,omitempty"`
	Database    string    `json:"database,omitempty"`
	Schedule    string    `json:"schedule,omitempty"`
	NextRun     time.Time `json:"next_run,omitzero"`
	// Runs are its schedules one by one (baktainer.schedule's expressions,
	// baktainer.schedule.once), each with its tag and next run.
	Runs []ScheduledRun `json:"runs,omitempty"`
	// Split: one archive per database (baktainer.db.split), each filed under
	// "<series>.<database>".
	Split       bool   `json:"split,omitempty"`
	OnStart     bool   `json:"on_start"`
	Destination string `json:"destination"`
	Problem     string `json:"problem,omitempty"` // label problems: not scheduled until fixed
	// TestRestoreSchedule is when its newest archive is test-restored; "" when
	// test-restores are off for it.
	TestRestoreSchedule string `json:"test_restore_schedule,omitempty"`
	// DestinationProblem says why archives cannot be written where they go (e.g.
	// a baktainer.volume naming no volume); the target stays scheduled.
	DestinationProblem string `json:"destination_problem,omitempty"`
	// Warnings are what its labels say that baktainer reads other than as
	// written, or not at all (labels.Spec.Warnings): it is backed up all the same.
	Warnings []string `json:"warnings,omitempty"`
}

// TargetStatus is a read-only view of one registered container, for the API and
// the status page.
type TargetStatus struct {
	TargetInfo
	Registered  time.Time `json:"registered"`
	Active      *Attempt  `json:"active,omitempty"` // the queued or running attempt
	LastSuccess *Attempt  `json:"last_success,omitempty"`
	LastFailure *Attempt  `json:"last_failure,omitempty"`
}

// describe is e's TargetInfo, next being its next run; problems are scrubbed of
// e's secrets.
func describe(e *entry, next time.Time, dests Destinations) TargetInfo {
	info := TargetInfo{
		Name: e.name(), Container: e.target.Container.Name, ContainerID: e.target.Container.ID,
		Schedule: e.schedule, OnStart: e.target.Spec.OnStart, Destination: dests.Describe(e.target), Split: e.target.Spec.Split,
	}
	if e.engine != nil {
		info.Engine, info.Database = e.engine.Name(), e.engine.Database(e.target)
	}
	for _, w := range e.target.Spec.Warnings {
		info.Warnings = append(info.Warnings, scrubTarget(w.String(), e.target))
	}
	if e.problem != nil {
		info.Problem = engines.Redact(e.problem.Error(), engines.Secrets(e.target)...)
		info.Schedule = ""
	} else {
		info.NextRun, info.TestRestoreSchedule = next, e.verifySpec
	}
	return info
}

// targets is the table of registered containers and their cron entries.
type targets struct {
	mu      sync.Mutex
	byID    map[string]*entry
	cron    *cron.Cron
	loc     *time.Location
	defSpec string
	// fireTestRestore is what an entry's test-restore cron entry runs.
	fireTestRestore func(id string)
}

// newEntry resolves an inspected container into an entry, parsing its schedule.
func newEntry(c docker.Container, reg *engines.Registry, defaultSchedule string) *entry {
	t, eng, err := resolveContainer(c, reg)
	e := &entry{target: t, engine: eng, problem: err, registered: time.Now(), schedule: defaultSchedule}
	if t.Spec.Schedule != "" {
		e.schedule = t.Spec.Schedule
	}
	if err == nil {
		runs, sched, perr := parseRuns(t.Spec, defaultSchedule)
		if perr != nil { // BT_CRON is validated at start; a label was validated by Parse
			e.problem = fmt.Errorf("container %s: %w", c.Name, perr)
		}
		e.runs, e.sched = runs, sched
	}
	return e
}

// firstRun is when e's schedules fire next after now, in zone loc, for an entry
// that has no scheduler entry (a plan).
func (e *entry) firstRun(now time.Time, loc *time.Location) time.Time {
	return earliest(e.plannedRuns(now, loc))
}

// nextRun is when the scheduler fires e next: the soonest of its runs (an
// @every timer counts from the registration, not from now; before the
// scheduler runs, each schedule's next time after now).
func (ts *targets) nextRun(e *entry, now time.Time) time.Time {
	return earliest(ts.runs(e, now))
}

// register adds or replaces the entry for its container. fire is what its cron
// entry runs. An entry that claims the backup name another container holds in
// the same destination is registered refused (see nameConflict). It returns the
// entry it replaced, if any.
func (ts *targets) register(e *entry, fire func(id, tag string)) (replaced *entry) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if old, ok := ts.byID[e.id()]; ok {
		ts.unschedule(old)
		replaced = old
	}
	if holder := nameHolder(e, maps.Values(ts.byID)); holder != nil {
		e.problem, e.heldBy = nameConflict(e, holder), holder.id()
	}
	if e.problem == nil {
		ts.schedule(e, fire)
	}
	ts.byID[e.id()] = e
	return replaced
}

// remove unregisters a container; it returns the entry (nil if none) and the
// entries refused for the backup name it held.
func (ts *targets) remove(id string) (removed *entry, waiting []*entry) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e, ok := ts.byID[id]
	if !ok {
		return nil, nil
	}
	ts.unschedule(e)
	delete(ts.byID, id)
	for _, o := range ts.byID {
		if o.heldBy == id {
			waiting = append(waiting, o)
		}
	}
	return e, waiting
}

func (ts *targets) get(id string) (*entry, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e, ok := ts.byID[id]
	return e, ok
}

// ids returns the registered container IDs.
func (ts *targets) ids() map[string]bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make(map[string]bool, len(ts.byID))
	for id := range ts.byID {
		out[id] = true
	}
	return out
}

// ErrUnknownTarget is returned for a container that is not a registered target.
var ErrUnknownTarget = errors.New("agent: not a backup target")

// find looks a target up by container ID (or unique prefix), container name, or
// backup name, in that order.
func (ts *targets) find(ref string) (*entry, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "/")
	if e, ok := ts.byID[ref]; ok {
		return e, nil
	}
	var byPrefix, byContainer, byName []*entry
	for id, e := range ts.byID {
		switch {
		case e.target.Container.Name == ref:
			byContainer = append(byContainer, e)
		case e.name() == ref:
			byName = append(byName, e)
		case len(ref) >= 12 && strings.HasPrefix(id, ref):
			byPrefix = append(byPrefix, e)
		}
	}
	for _, found := range [][]*entry{byContainer, byPrefix, byName} {
		switch len(found) {
		case 0:
		case 1:
			return found[0], nil
		default:
			return nil, fmt.Errorf("%q names %d targets; use the container name or ID", ref, len(found))
		}
	}
	return nil, fmt.Errorf("container %q: %w (it must be running, labelled %s and match the agent's selectors)", ref, ErrUnknownTarget, BackupLabel)
}

// sameName returns the other registered containers that file archives under e's
// name in another destination (in the same one, register refuses them).
func (ts *targets) sameName(e *entry) []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var others []string
	for id, o := range ts.byID {
		if id != e.id() && o.name() == e.name() && o.destination != e.destination {
			others = append(others, o.target.Container.Name)
		}
	}
	sort.Strings(others)
	return others
}

// snapshot returns every entry, by backup name.
func (ts *targets) snapshot() []*entry {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make([]*entry, 0, len(ts.byID))
	for _, e := range ts.byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].name() != out[j].name() {
			return out[i].name() < out[j].name()
		}
		return out[i].target.Container.Name < out[j].target.Container.Name
	})
	return out
}
