package agent

import (
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
)

// A target fires on each of its schedules: the expressions of baktainer.schedule
// (else BT_CRON), and baktainer.schedule.once, each with its own cron entry and
// retention tag. A tagged run files its archives under "<name>.<tag>" (Series):
// a series of its own, which retention counts on its own.

// scheduledRun is one of a target's schedules and its cron entry.
type scheduledRun struct {
	expr   string // as written; the once's time for schedule.once
	tag    string
	once   bool
	sched  cron.Schedule
	cronID cron.EntryID
}

// ScheduledRun is one schedule of a target and when it fires next, for `plan`,
// /api/v1/targets and /status.
type ScheduledRun struct {
	Schedule string    `json:"schedule"`
	Tag      string    `json:"tag,omitempty"`
	Once     bool      `json:"once,omitempty"`
	Series   string    `json:"series"`            // the backup name its archives are filed under
	NextRun  time.Time `json:"next_run,omitzero"` // zero: never again (a once already past)
}

// SeriesName is the backup name the archives of a run tagged tag are filed
// under: name, or "<name>.<tag>" (mapped to a name the store takes when too long).
func SeriesName(name, tag string) string {
	if tag == "" {
		return name
	}
	series, _ := parse.MapBackupName(name + "." + tag)
	return series
}

// parseRuns is the runs of a target labelled spec: its schedules (def, BT_CRON,
// when it has none) and its once; and every recurring one combined, for the
// health rules.
func parseRuns(spec labels.Spec, def string) ([]scheduledRun, cron.Schedule, error) {
	entries := spec.Schedules
	if entries == nil {
		entries = []labels.ScheduleEntry{{Expr: def}}
	}
	var runs []scheduledRun
	var recurring anyOf
	for _, s := range entries {
		sched, err := labels.ParseSchedule(s.Expr)
		if err != nil {
			return nil, nil, fmt.Errorf("schedule %q: %w", s.Expr, err)
		}
		runs = append(runs, scheduledRun{expr: s.Expr, tag: s.Tag, sched: sched})
		recurring = append(recurring, sched)
	}
	if o := spec.Once; o != nil {
		runs = append(runs, scheduledRun{expr: o.At.Format(labels.OnceLayout), tag: o.Tag, once: true, sched: onceAt(o.At)})
	}
	if len(recurring) == 1 {
		return runs, recurring[0], nil
	}
	return runs, recurring, nil
}

// anyOf fires whenever one of its schedules does.
type anyOf []cron.Schedule

// Next implements cron.Schedule: the earliest next time of any.
func (s anyOf) Next(t time.Time) time.Time {
	var next time.Time
	for _, one := range s {
		if n := one.Next(t); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// onceAt fires once, at its time; never after it (robfig/cron runs no entry
// whose next time is zero).
type onceAt time.Time

// Next implements cron.Schedule.
func (o onceAt) Next(t time.Time) time.Time {
	if at := time.Time(o); t.Before(at) {
		return at
	}
	return time.Time{}
}

// runsOf lists e's runs for reports: their next times from next (the
// scheduler's entry, or the schedule's own next time after now).
func runsOf(e *entry, next func(r scheduledRun) time.Time) []ScheduledRun {
	if e.problem != nil {
		return nil
	}
	out := make([]ScheduledRun, 0, len(e.runs))
	for _, r := range e.runs {
		out = append(out, ScheduledRun{Schedule: r.expr, Tag: r.tag, Once: r.once, Series: SeriesName(e.name(), r.tag), NextRun: next(r)})
	}
	return out
}

// plannedRuns are e's runs as a plan shows them: each schedule's next time
// after now, in zone loc.
func (e *entry) plannedRuns(now time.Time, loc *time.Location) []ScheduledRun {
	return runsOf(e, func(r scheduledRun) time.Time { return r.sched.Next(now.In(loc)) })
}

// runs are e's runs as the scheduler holds them.
func (ts *targets) runs(e *entry, now time.Time) []ScheduledRun {
	return runsOf(e, func(r scheduledRun) time.Time { return ts.runNext(r, now) })
}

// runNext is when the scheduler fires r next: its entry's time (an @every timer
// counts from the registration), or, before it has one, the schedule's next
// time after now.
func (ts *targets) runNext(r scheduledRun, now time.Time) time.Time {
	if r.cronID != 0 {
		if next := ts.cron.Entry(r.cronID).Next; !next.IsZero() {
			return next
		}
	}
	return r.sched.Next(now.In(ts.loc))
}

// earliest is the soonest non-zero NextRun of runs.
func earliest(runs []ScheduledRun) time.Time {
	var next time.Time
	for _, r := range runs {
		if !r.NextRun.IsZero() && (next.IsZero() || r.NextRun.Before(next)) {
			next = r.NextRun
		}
	}
	return next
}

// schedule gives each of e's runs a cron entry that fires e's backup with the
// run's tag, and its test-restore schedule one. The caller holds ts.mu.
func (ts *targets) schedule(e *entry, fire func(id, tag string)) {
	id := e.id()
	for i := range e.runs {
		tag := e.runs[i].tag
		e.runs[i].cronID = ts.cron.Schedule(e.runs[i].sched, cron.FuncJob(func() { fire(id, tag) }))
	}
	if e.verifySched != nil && ts.fireTestRestore != nil {
		e.verifyCronID = ts.cron.Schedule(e.verifySched, cron.FuncJob(func() { ts.fireTestRestore(id) }))
	}
}

// unschedule removes e's cron entries, its test-restore's too. The caller holds ts.mu.
func (ts *targets) unschedule(e *entry) {
	for i := range e.runs {
		if e.runs[i].cronID != 0 {
			ts.cron.Remove(e.runs[i].cronID)
			e.runs[i].cronID = 0
		}
	}
	if e.verifyCronID != 0 {
		ts.cron.Remove(e.verifyCronID)
		e.verifyCronID = 0
	}
}

// scheduled reports whether e has a cron entry.
func (e *entry) scheduled() bool {
	return slices.ContainsFunc(e.runs, func(r scheduledRun) bool { return r.cronID != 0 })
}

// deferRun remembers a scheduled run of tag that found the container busy
// with a run of another tag: it is queued when that attempt ends
// (runDeferred), so a weekly run that falls on the daily's minute is not
// lost. One is kept per tag.
func (c *control) deferRun(id, tag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deferred == nil {
		c.deferred = map[string][]string{}
	}
	if !slices.Contains(c.deferred[id], tag) {
		c.deferred[id] = append(c.deferred[id], tag)
	}
}

// runDeferred queues the next deferred run of the container, if any. It is
// called once its attempt has released the container.
func (a *Agent) runDeferred(id string) {
	a.ctl.mu.Lock()
	tags := a.ctl.deferred[id]
	if len(tags) == 0 {
		a.ctl.mu.Unlock()
		return
	}
	tag := tags[0]
	if a.ctl.deferred[id] = tags[1:]; len(tags) == 1 {
		delete(a.ctl.deferred, id)
	}
	a.ctl.mu.Unlock()
	a.fire(id, tag)
}

// busyFire handles a scheduled run of tag that found e busy: deferred when the
// running attempt is of another tag, else skipped with a warning.
func (a *Agent) busyFire(e *entry, tag string, busy *BusyError) {
	if busy.Attempt.ContainerID == e.id() && busy.Attempt.Tag != tag {
		a.ctl.deferRun(e.id(), tag)
		a.log.WithField("container", e.target.Container.Name).Infof("scheduled backup %s waits for attempt %s (%s) to end",
			describeTag(tag), busy.Attempt.ID, describeTag(busy.Attempt.Tag))
		return
	}
	a.warn(e, fmt.Sprintf("scheduled backup skipped: the previous one (attempt %s) is still %s", busy.Attempt.ID, busy.Attempt.Outcome))
}

func describeTag(tag string) string {
	if tag == "" {
		return "untagged"
	}
	return "tagged " + tag
}

// seriesOf is the backup name a run of t tagged tag files its archives under.
func seriesOf(t engines.Target, tag string) string { return SeriesName(BackupName(t), tag) }
