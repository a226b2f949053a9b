package agent

import (
	"path/filepath"
	"sort"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// TestRestoreReport is a target's test-restores as /status, the metrics and the
// dashboard show them.
type TestRestoreReport struct {
	Schedule    string       `json:"schedule"`
	NextRun     time.Time    `json:"next_run,omitzero"`
	Active      *TestRestore `json:"active,omitempty"` // queued or running
	LastSuccess *TestRestore `json:"last_success,omitempty"`
	LastFailure *TestRestore `json:"last_failure,omitempty"`
	// State sums it up: "passed" (the latest finished one passed), "failed",
	// or "untested" (none finished yet).
	State string `json:"state"`
}

// The states of a target's test-restores and of an archive (ArchiveSummary).
const (
	RestorePassed   = "passed"
	RestoreFailed   = "failed"
	RestoreUntested = "untested"
)

// ArchiveSummary is one of a target's newest archives, with what test-restores
// proved of it: the dashboard's badge per archive.
type ArchiveSummary struct {
	Path      string    `json:"path"`
	File      string    `json:"file"`
	Created   time.Time `json:"created"`
	SizeBytes int64     `json:"size_bytes"`
	// RestoreTest is "passed" when this agent sealed a passed test-restore
	// into its metadata (and none failed since), "failed" when its latest
	// test-restore failed, else "untested".
	RestoreTest string `json:"restore_test"`
	// RestoreVerified is when the passed test-restore was, if one was.
	RestoreVerified time.Time `json:"restore_verified,omitzero"`
}

// recentArchives is how many of a name's newest archives /status lists.
const recentArchives = 5

// keepNewest adds a to list, keeping the newest recentArchives, newest first.
func keepNewest(list []store.Archive, a store.Archive) []store.Archive {
	list = append(list, a)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Meta.Created.After(list[j].Meta.Created) })
	if len(list) > recentArchives {
		list = list[:recentArchives]
	}
	return list
}

// addTestRestores fills in r's test-restores and its newest archives' badges.
func (a *Agent) addTestRestores(r *TargetReport, e *entry, totals nameTotals, now time.Time) {
	v := a.verify
	if v.history != nil {
		for _, arch := range totals.recent {
			r.RecentArchives = append(r.RecentArchives, a.summarize(arch))
		}
	}
	if e.verifySched == nil || e.problem != nil {
		return
	}
	tr := &TestRestoreReport{Schedule: e.verifySpec, NextRun: a.targets.nextTestRestore(e, now), State: RestoreUntested}
	v.mu.Lock()
	if id, ok := v.byName[e.name()]; ok {
		active := *v.active[id]
		tr.Active = &active
	}
	v.mu.Unlock()
	if v.history != nil {
		tr.LastSuccess, tr.LastFailure = v.history.last(e.name())
	}
	switch {
	case tr.LastFailure != nil && (tr.LastSuccess == nil || tr.LastFailure.Queued.After(tr.LastSuccess.Queued)):
		tr.State = RestoreFailed
	case tr.LastSuccess != nil:
		tr.State = RestorePassed
	}
	r.TestRestore = tr
}

// summarize is an archive's badge.
func (a *Agent) summarize(arch store.Archive) ArchiveSummary {
	s := ArchiveSummary{Path: arch.Path, File: filepath.Base(arch.Path), Created: arch.Meta.Created,
		SizeBytes: arch.Meta.Size, RestoreTest: RestoreUntested}
	sealed := arch.Meta.TrustedRestoreVerification(a.verify.key)
	last, tested := a.verify.history.lastOf(arch.Meta.Name, arch.Path)
	switch {
	case tested && last.Outcome == Failed && (sealed == nil || last.Ended.After(sealed.At)):
		s.RestoreTest = RestoreFailed
	case sealed != nil:
		s.RestoreTest, s.RestoreVerified = RestorePassed, sealed.At
	}
	return s
}

// nextTestRestore is when e's test-restore schedule fires next.
func (ts *targets) nextTestRestore(e *entry, now time.Time) time.Time {
	if e.verifyCronID != 0 {
		if next := ts.cron.Entry(e.verifyCronID).Next; !next.IsZero() {
			return next
		}
	}
	if e.verifySched == nil {
		return time.Time{}
	}
	return e.verifySched.Next(now.In(ts.loc))
}

// TestRestoreStarted implements TestRestoreObserver.
func (*inventory) TestRestoreStarted(TestRestore) {}

// TestRestoreFinished implements TestRestoreObserver: the archives' badges change.
func (inv *inventory) TestRestoreFinished(TestRestore) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.at = time.Time{}
	inv.gen++
}

func (o *observers) testRestoreStarted(tr TestRestore) {
	eachAs(o, func(to TestRestoreObserver) { to.TestRestoreStarted(tr) })
}

func (o *observers) testRestoreFinished(tr TestRestore) {
	eachAs(o, func(to TestRestoreObserver) { to.TestRestoreFinished(tr) })
}

// restoreVerifiedKey is what retention trusts restore verifications of t's
// archives with: the seal key when test-restores are on for t, else nothing.
func (a *Agent) restoreVerifiedKey(t engines.Target) []byte {
	e, ok := a.targets.get(t.Container.ID)
	if !ok || e.verifySched == nil {
		return nil
	}
	return a.verify.key
}
