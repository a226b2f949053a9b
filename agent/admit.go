package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// status builds the public view of e.
func (a *Agent) status(e *entry, now time.Time) TargetStatus {
	s := TargetStatus{TargetInfo: describe(e, a.targets.nextRun(e, now), a.dests), Registered: e.registered}
	s.Runs = a.targets.runs(e, now)
	if act, ok := a.activeFor(e.id()); ok {
		s.Active = &act
	}
	if a.history != nil {
		s.LastSuccess, s.LastFailure = a.history.Last(s.Name)
	}
	return s
}

// Targets returns a snapshot of every registered container, sorted by backup name.
func (a *Agent) Targets() []TargetStatus {
	now := time.Now()
	entries := a.targets.snapshot()
	out := make([]TargetStatus, 0, len(entries))
	for _, e := range entries {
		out = append(out, a.status(e, now))
	}
	return out
}

// CheckedTargets is Targets with each target's DestinationProblem.
func (a *Agent) CheckedTargets(ctx context.Context) []TargetStatus {
	now := time.Now()
	entries := a.targets.snapshot()
	out := make([]TargetStatus, 0, len(entries))
	for _, e := range entries {
		s := a.status(e, now)
		s.DestinationProblem = a.destinationProblem(ctx, e)
		out = append(out, s)
	}
	return out
}

// admit registers a resolved container, reports label problems, and runs its
// on_start backup when it is new. A container whose only baktainer labels come
// from its image (BT_REQUIRE_CONTAINER_LABELS) is not a target.
func (a *Agent) admit(ctx context.Context, c docker.Container) {
	if declined(c.Labels) { // an event of a container labelled baktainer.backup=false
		a.forget(ctx, c.ID, "its "+labels.Backup+" label says no")
		return
	}
	c, ok := a.ownLabels(ctx, c)
	if !ok {
		a.forget(ctx, c.ID, "its baktainer labels come from its image only")
		return
	}
	e := newEntry(c, a.engines, a.cfg.Schedule)
	a.verifySchedule(e)
	var missing error
	e.destination, missing = locate(ctx, a.dests, e)
	replaced := a.targets.register(e, a.fire)
	log := a.log.WithFields(logrus.Fields{"container": c.Name, "name": e.name()})
	st := a.status(e, time.Now())
	a.obs.registered(st)
	if replaced == nil {
		for _, w := range e.target.Spec.Warnings { // unknown labels: backed up all the same
			a.warn(e, a.scrub(w.String(), e.target))
		}
	}
	if e.problem != nil {
		if replaced == nil || replaced.problem == nil || replaced.problem.Error() != e.problem.Error() {
			a.warn(e, "not scheduled until its labels are fixed: "+a.scrub(e.problem.Error(), e.target))
		}
		return
	}
	if replaced != nil {
		return
	}
	log.WithFields(logrus.Fields{"engine": st.Engine, "schedule": e.schedule, "next_run": st.NextRun}).Info("target registered")
	if missing != nil {
		a.warn(e, "its backups cannot be written until this is fixed: "+missing.Error())
	}
	if others := a.targets.sameName(e); len(others) > 0 {
		a.warn(e, fmt.Sprintf("containers %s and %s both file archives under the name %q (in other destinations); give each its own %s label",
			c.Name, strings.Join(others, ", "), e.name(), labels.Name))
	}
	if e.target.Spec.OnStart {
		if _, err := a.request(e, TriggerOnStart, ""); err != nil {
			log.Warnf("on_start backup not queued: %v", err)
		}
	}
}

// forget unregisters a container. Containers refused the backup name it held are
// inspected and admitted again: one of them takes the name over.
func (a *Agent) forget(ctx context.Context, id, why string) {
	e, waiting := a.targets.remove(id)
	if e == nil {
		return
	}
	a.log.WithFields(logrus.Fields{"container": e.target.Container.Name, "name": e.name()}).Infof("target removed (%s)", why)
	a.obs.removed(a.status(e, time.Now()))
	for _, w := range waiting {
		c, err := a.dc.Inspect(ctx, w.id())
		if err != nil || !c.Running {
			continue // gone too: its own event removes it
		}
		a.admit(ctx, c)
	}
}

// locate says which destination e's archives go to, and why they cannot be
// written there now (nil when they can), without creating anything.
func locate(ctx context.Context, dests Destinations, e *entry) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	return dests.Locate(lctx, e.target)
}

// destinationProblem is e's locate error for reports; "" when none, or when e is
// not scheduled anyway.
func (a *Agent) destinationProblem(ctx context.Context, e *entry) string {
	if e.problem != nil {
		return ""
	}
	if _, err := locate(ctx, a.dests, e); err != nil {
		return a.scrub(err.Error(), e.target)
	}
	return ""
}

// fire is what a target's cron entries run, each with its schedule's tag.
func (a *Agent) fire(id, tag string) {
	e, ok := a.targets.get(id)
	if !ok {
		return
	}
	if _, err := a.request(e, TriggerSchedule, tag); err != nil {
		var busy *BusyError
		if errors.As(err, &busy) {
			a.busyFire(e, tag, busy)
			return
		}
		a.log.WithField("container", e.target.Container.Name).Warnf("scheduled backup not queued: %v", err)
	}
}

func (a *Agent) warn(e *entry, msg string) {
	a.log.WithFields(logrus.Fields{"container": e.target.Container.Name, "name": e.name()}).Warn(msg)
	a.obs.warning(Warning{Time: time.Now().UTC(), Name: e.name(), Container: e.target.Container.Name, Message: msg})
}
