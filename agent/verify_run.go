package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// testRestoreWaitPoll is how often a queued test-restore looks whether its
// target's backup has ended.
const testRestoreWaitPoll = 500 * time.Millisecond

// executeTestRestore runs one test-restore: it waits for one of
// BT_VERIFY_THREADS slots, then until no backup of its target is queued or
// running, tests the newest archive, and reports. One that never started (the
// agent stopped) reports nothing.
func (a *Agent) executeTestRestore(ctx context.Context, tr TestRestore) {
	defer a.running.Done()
	v := a.verify
	defer v.release(tr)
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-v.slots }()
	defer a.memLimit.enter()() // memlimit.go
	if !a.claimTestRestore(ctx, tr) {
		return
	}
	log := a.log.WithFields(logrus.Fields{"container": tr.Container, "name": tr.Name, "test_restore": tr.ID})
	tr.Started, tr.Outcome = time.Now().UTC(), Running
	v.update(tr)
	if v.history != nil {
		v.history.started(tr)
	}
	a.obs.testRestoreStarted(tr)
	a.testRestore(ctx, log, &tr)
	if ctx.Err() != nil && tr.Outcome != Succeeded {
		tr.Outcome, tr.FailedCheck = Cancelled, ""
		tr.Error = "cancelled: the agent is stopping (" + tr.Error + ")"
	}
	tr.Ended = time.Now().UTC()
	a.finishTestRestore(log, tr)
}

// claimTestRestore waits until no backup of tr's container or backup name is
// queued or running, and marks tr running (a backup that comes now waits for
// it: waitForTestRestore). It is false when ctx ended first.
func (a *Agent) claimTestRestore(ctx context.Context, tr TestRestore) bool {
	tick := time.NewTicker(testRestoreWaitPoll)
	defer tick.Stop()
	for !a.tryClaim(tr) {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

func (a *Agent) tryClaim(tr TestRestore) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range []string{"id:" + tr.ContainerID, "name:" + tr.Name} {
		if _, busy := a.busy[k]; busy {
			return false
		}
	}
	a.verify.mu.Lock()
	a.verify.running[tr.Name] = make(chan struct{})
	a.verify.mu.Unlock()
	return true
}

// waitForTestRestore holds a backup of name while a test-restore of it runs;
// false when ctx ended first.
func (a *Agent) waitForTestRestore(ctx context.Context, name string) bool {
	v := a.verify
	v.mu.Lock()
	running := v.running[name]
	v.mu.Unlock()
	if running == nil {
		return true
	}
	select {
	case <-running:
		return true
	case <-ctx.Done():
		return false
	}
}

// testRestore tests the newest archive of tr's target and fills in tr.
func (a *Agent) testRestore(ctx context.Context, log *logrus.Entry, tr *TestRestore) {
	e, ok := a.targets.get(tr.ContainerID)
	if !ok {
		a.failTestRestore(tr, "target", fmt.Errorf("container %s is no longer a target", tr.Container), engines.Target{})
		return
	}
	if a.verify.restorer == nil {
		a.failTestRestore(tr, "scratch container", errors.New("the agent has no Docker engine to start scratch containers on"), e.target)
		return
	}
	dest, err := a.open(ctx, e.target)
	if err != nil {
		a.failTestRestore(tr, "destination", err, e.target)
		return
	}
	defer dest.Release()
	newest, found, err := store.Newest(ctx, dest.Root, tr.Name)
	switch {
	case err != nil:
		a.failTestRestore(tr, "archive", err, e.target)
		return
	case !found:
		tr.Outcome, tr.Error = Skipped, fmt.Sprintf("no archive of %s in %s to test-restore yet", tr.Name, dest.Root)
		return
	}
	tr.Archive = newest.Path
	a.verify.setReading(newest.Path, true)
	defer a.verify.setReading(newest.Path, false)
	rep, err := a.verify.restorer.TestRestore(ctx, drill.Options{Archive: newest.Path, Root: dest.Root, Log: log,
		Keys: drill.Keys{Identities: a.cfg.Verify.Identities}, Timeout: a.cfg.Verify.Timeout, Owner: a.verify.owner})
	fillFromReport(tr, rep, e.target)
	if err != nil {
		a.failTestRestore(tr, failedCheck(rep, err), keyHint(err), e.target)
		return
	}
	tr.Outcome = Succeeded
	a.recordVerified(ctx, log, tr, rep)
}

// failTestRestore marks tr failed at check, its error scrubbed of t's secrets.
func (a *Agent) failTestRestore(tr *TestRestore, check string, err error, t engines.Target) {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	tr.Outcome, tr.FailedCheck, tr.Error = Failed, check, engines.Redact(msg, engines.Secrets(t)...)
}

// fillFromReport copies what a drill report says into tr, scrubbed of t's secrets.
func fillFromReport(tr *TestRestore, rep *drill.Report, t engines.Target) {
	if rep == nil {
		return
	}
	secrets := engines.Secrets(t)
	tr.SHA256, tr.Image, tr.Scratch = rep.SHA256, rep.Image, rep.Container
	for _, c := range rep.Checks {
		tc := TestCheck{Name: c.Name, Passed: c.Passed(), Skipped: c.Skipped, Detail: engines.Redact(c.Detail, secrets...)}
		if c.Err != nil {
			tc.Error = engines.Redact(c.Err.Error(), secrets...)
		}
		tr.Checks = append(tr.Checks, tc)
	}
	if rep.Restored != nil {
		counts := store.CountsOf(rep.Restored)
		tr.Counts = &counts
	}
}

// failedCheck names the first check that failed.
func failedCheck(rep *drill.Report, err error) string {
	var ce *drill.CheckError
	if errors.As(err, &ce) {
		return ce.Check
	}
	if rep != nil {
		if failed := rep.Failed(); len(failed) > 0 {
			return failed[0].Name
		}
	}
	return "test-restore"
}

// keyHint adds where the agent's keys come from to an archive it could not open.
func keyHint(err error) error {
	if errors.Is(err, store.ErrNeedKey) || errors.Is(err, store.ErrWrongKey) {
		return fmt.Errorf("%w (the agent's test-restores open encrypted archives with BT_VERIFY_IDENTITY_FILE)", err)
	}
	return err
}

// recordVerified seals a passed test-restore into its archive's .json. A
// failure to write it is a warning: the archive did restore.
func (a *Agent) recordVerified(ctx context.Context, log *logrus.Entry, tr *TestRestore, rep *drill.Report) {
	v := store.RestoreVerification{At: time.Now().UTC(), Image: rep.Image, Checks: len(rep.Checks),
		Duration: rep.Duration.Seconds(), SHA256: rep.SHA256, Counts: store.CountsOf(rep.Restored)}
	v = v.Sealed(a.verify.key, filepath.Base(tr.Archive))
	if err := store.RecordRestoreVerified(ctx, tr.Archive, v); err != nil {
		msg := fmt.Sprintf("the test-restore of %s passed but could not be recorded in its metadata: %v", tr.Archive, err)
		log.Warn(msg)
		a.obs.warning(Warning{Time: time.Now().UTC(), Name: tr.Name, Container: tr.Container, Message: msg})
		return
	}
	tr.Recorded = true
}

// finishTestRestore logs tr's outcome and tells the history and the observers.
// A scheduled test-restore that found nothing to test is only logged.
func (a *Agent) finishTestRestore(log *logrus.Entry, tr TestRestore) {
	switch tr.Outcome {
	case Succeeded:
		log.WithFields(logrus.Fields{"archive": tr.Archive, "checks": len(tr.Checks), "recorded": tr.Recorded}).
			Infof("test-restore passed in %s", tr.Duration().Round(100*time.Millisecond))
	case Failed:
		log.WithFields(logrus.Fields{"archive": tr.Archive, "check": tr.FailedCheck}).Errorf("test-restore FAILED: %s", tr.Error)
	case Cancelled:
		log.Warn(tr.Error)
	case Skipped:
		log.Debug(tr.Error)
		if tr.Trigger == TriggerSchedule {
			return
		}
	}
	if h := a.verify.history; h != nil {
		h.finished(tr)
	}
	if tr.Outcome != Skipped {
		a.obs.testRestoreFinished(tr)
	}
}

// update records tr's current state for the API.
func (v *verifier) update(tr TestRestore) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if cur, ok := v.active[tr.ID]; ok {
		*cur = tr
	}
}

// release forgets a test-restore that ended, and lets a waiting backup go.
func (v *verifier) release(tr TestRestore) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.active, tr.ID)
	if v.byName[tr.Name] == tr.ID {
		delete(v.byName, tr.Name)
		if ch, ok := v.running[tr.Name]; ok {
			close(ch)
			delete(v.running, tr.Name)
		}
	}
}

func (v *verifier) setReading(path string, on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if on {
		v.reading[path] = true
	} else {
		delete(v.reading, path)
	}
}

// inUse lists the archives test-restores read now: retention never removes them.
func (v *verifier) inUse() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.reading))
	for p := range v.reading {
		out = append(out, p)
	}
	return out
}
