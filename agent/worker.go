package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// BusyError is returned when a backup of the container (or of its backup name) is
// already queued or running: never two dumps of one container at once.
type BusyError struct{ Attempt Attempt }

func (e *BusyError) Error() string {
	return fmt.Sprintf("a backup of %s is already %s (attempt %s)", e.Attempt.Container, e.Attempt.Outcome, e.Attempt.ID)
}

// InvalidTargetError is returned for a run-now of a container whose labels are wrong.
type InvalidTargetError struct{ Problem string }

func (e *InvalidTargetError) Error() string { return e.Problem }

// maxRetryDelay caps the exponential backoff between tries.
const maxRetryDelay = 10 * time.Minute

// BackupRequest asks for a backup now (RunNow): the body of POST /api/v1/backups.
type BackupRequest struct {
	Container string `json:"container"` // container name or ID, or backup name
}

// RunNow queues a backup of the target named by ref (container name or ID, or
// backup name) and returns the queued attempt.
func (a *Agent) RunNow(ref string) (Attempt, error) {
	e, err := a.targets.find(ref)
	if err != nil {
		return Attempt{}, err
	}
	return a.request(e, TriggerAPI, "")
}

// request queues an attempt for e, tagged tag (its archives go under the tag's
// series), unless one is queued or running already.
func (a *Agent) request(e *entry, why Trigger, tag string) (Attempt, error) {
	if e.problem != nil {
		return Attempt{}, &InvalidTargetError{a.scrub(e.problem.Error(), e.target)}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopping {
		return Attempt{}, errors.New("agent: shutting down")
	}
	if a.runCtx == nil {
		return Attempt{}, errors.New("agent: not running yet")
	}
	keys := []string{"id:" + e.id(), "name:" + e.name()}
	for _, k := range keys {
		if id, ok := a.busy[k]; ok {
			return Attempt{}, &BusyError{Attempt: *a.active[id]}
		}
	}
	att := &Attempt{
		ID: newAttemptID(), Name: e.name(), Container: e.target.Container.Name, ContainerID: e.id(),
		Engine: e.engine.Name(), Database: e.engine.Database(e.target), Trigger: why, Tag: tag, Series: SeriesName(e.name(), tag), Outcome: Queued,
		Queued: time.Now().UTC(), Destination: a.dests.Describe(e.target),
	}
	for _, k := range keys {
		a.busy[k] = att.ID
	}
	a.active[att.ID] = att
	a.running.Add(1)
	go a.execute(a.runCtx, keys, *att)
	return *att, nil
}

// execute runs one attempt: waits for a worker slot, tries, retries transient
// failures with exponential backoff (holding its slot, so BT_THREADS bounds the
// attempts in flight), and reports to the observers.
func (a *Agent) execute(ctx context.Context, keys []string, att Attempt) {
	defer a.running.Done()
	defer a.runDeferred(att.ContainerID) // after release: a run deferred while this one ran (schedules.go)
	defer a.release(keys, att.ID)
	if !a.waitForTestRestore(ctx, att.Name) { // never beside a test-restore of its archives
		return // never started: nothing to report
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return // never started: nothing to report
	}
	defer func() { <-a.slots }()
	defer a.memLimit.enter()() // memlimit.go

	log := a.log.WithFields(logrus.Fields{"container": att.Container, "name": att.Name, "attempt": att.ID})
	att.Started, att.Outcome = time.Now().UTC(), Running
	a.update(att)
	a.obs.started(att)
	for {
		att.Tries++
		err := a.try(ctx, log, &att)
		if err == nil {
			att.Outcome, att.Error, att.ErrorKind = Succeeded, "", ""
			break
		}
		kind, transient := classify(err)
		if ctx.Err() != nil {
			kind, transient = KindCancelled, false
		}
		att.ErrorKind, att.Error = kind, a.scrubAttempt(err, att)
		if !transient || att.Tries > a.cfg.Retries || ctx.Err() != nil {
			att.Outcome = Failed
			break
		}
		delay := retryDelay(a.cfg.RetryDelay, att.Tries)
		log.WithField("error_kind", kind).Warnf("try %d failed, retrying in %s: %s", att.Tries, delay, att.Error)
		a.update(att)
		if sleep(ctx, delay) != nil {
			att.Outcome, att.ErrorKind = Failed, KindCancelled
			att.Error = "cancelled: the agent is stopping; last error: " + att.Error
			break
		}
	}
	a.postHooks(ctx, log, &att) // hooks.go
	att.Ended = time.Now().UTC()
	if att.Outcome == Failed {
		log.WithFields(logrus.Fields{"error_kind": att.ErrorKind, "tries": att.Tries}).Errorf("backup failed: %s", att.Error)
	}
	// The observers (the history among them) hear the outcome first; the
	// attempt shows as final only once release has freed its target, so a
	// client that sees the outcome may ask for the next backup at once.
	a.obs.finished(att)
}

// try makes one try: re-inspects the container (labels, environment and state may
// have changed since discovery), dumps into the destination, applies retention.
func (a *Agent) try(ctx context.Context, log *logrus.Entry, att *Attempt) error {
	tctx, cancel := context.WithTimeout(ctx, a.cfg.BackupTimeout)
	defer cancel()
	t, eng, err := a.resolve(tctx, att.ContainerID)
	a.remember(att.ID, t)
	if err != nil {
		return err
	}
	a.ctl.setTarget(att.ID, t) // for the post hooks
	if !t.Container.Running {
		return fmt.Errorf("container %s: %w", t.Container.Name, errNotRunning)
	}
	if err := a.preHook(tctx, log, att, t); err != nil { // hooks.go
		return err
	}
	dest, err := a.open(tctx, t)
	if err != nil {
		return err
	}
	defer dest.Release()
	att.Destination = dest.Root
	restart, err := a.stopGroup(tctx, log, att, t) // stopgroup.go
	if err != nil {
		return err
	}
	defer restart()
	return a.backupParts(ctx, tctx, log, att, t, eng, dest) // split.go: one archive, or one per database
}

// prune applies retention after a successful backup of archive. A failure is a
// warning: the new archive is safe either way.
func (a *Agent) prune(ctx context.Context, root, archive string, name string, p store.Policy, t engines.Target) int {
	// The archive was hashed as it was written: no need to read it back.
	opts := store.PruneOptions{Verified: archive, RestoreVerifiedKey: a.restoreVerifiedKey(t), InUse: a.verify.inUse()}
	removed, err := ApplyRetention(ctx, a.log.WithField("name", name), root, name, p, opts, a.cfg.LegacyKeys)
	if err != nil {
		msg := fmt.Sprintf("retention of %s failed (the new archive is safe): %v", name, err)
		a.log.WithField("name", name).Warn(msg)
		a.obs.warning(Warning{Time: time.Now().UTC(), Name: name, Container: t.Container.Name, Message: msg})
	}
	return removed
}

// retryDelay is base doubled for each try already made, capped.
func retryDelay(base time.Duration, tries int) time.Duration {
	d := base
	for i := 1; i < tries && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// update records the attempt's current state for the API.
func (a *Agent) update(att Attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, ok := a.active[att.ID]; ok {
		*cur = att
	}
}

func (a *Agent) release(keys []string, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		if a.busy[k] == id {
			delete(a.busy, k)
		}
	}
	delete(a.active, id)
	delete(a.secrets, id)
}

// remember keeps the secrets of an attempt's target, to take them out of its errors.
func (a *Agent) remember(id string, t engines.Target) {
	secrets := engines.Secrets(t)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets[id] = append(a.secrets[id], secrets...)
}

// scrubAttempt is the message of an attempt's error. An engine's error is already
// redacted (its own words, the tool's output without the secrets); any other
// error, e.g. of an engine that is careless about it, loses the target's secrets
// here, as whole words (engines.Redact).
func (a *Agent) scrubAttempt(err error, att Attempt) string {
	if engines.IsRedacted(err) {
		return err.Error()
	}
	a.mu.Lock()
	secrets := a.secrets[att.ID]
	a.mu.Unlock()
	return engines.Redact(err.Error(), secrets...)
}

// scrub takes t's secrets out of msg (a label problem: it may quote a credential
// label's value).
func (a *Agent) scrub(msg string, t engines.Target) string { return scrubTarget(msg, t) }

// scrubTarget takes t's secrets out of msg, as whole words (engines.Redact).
func scrubTarget(msg string, t engines.Target) string {
	return engines.Redact(msg, engines.Secrets(t)...)
}

func newAttemptID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
