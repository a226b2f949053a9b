package agent

import (
	"fmt"
	"strings"
	"time"
)

// StateOffsiteFailing is a target whose latest backup was made on the host but
// whose copy off the host failed: "local ok, off-host copy failed".
const StateOffsiteFailing TargetState = "offsite_failing"

// FromOffsiteSuccess is where an off-host deadline counts from: the start of the
// last backup whose off-host copy succeeded.
const FromOffsiteSuccess = "offsite_last_success"

// OffsiteReport sums a target's off-host copies up for /status, /health, the
// metrics and the dashboard. A target has one once a backup of it was to be
// copied off the host.
type OffsiteReport struct {
	Remote string `json:"remote"` // where the latest copy went, no credentials
	// LastSuccess is when the last backup whose copy succeeded started; zero
	// when none did.
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Failing is true when the latest copy failed.
	Failing bool `json:"failing"`
	// Missing counts the archives the latest attempt knew to be without a copy.
	Missing int `json:"missing,omitempty"`
	// Deadline is when the copies become overdue: the same rule as the local
	// backups' (see Deadline), counted from LastSuccess (never succeeded: the
	// first backup that was to be copied, or the registration).
	Deadline     time.Time `json:"deadline,omitzero"`
	DeadlineFrom string    `json:"deadline_from,omitempty"`
	Overdue      bool      `json:"overdue"`
}

// offsiteReport is e's off-host state from its history; nil when no backup of
// it was ever to be copied off the host.
func (a *Agent) offsiteReport(e *entry, now time.Time, grace time.Duration) *OffsiteReport {
	var r *OffsiteReport
	var first time.Time
	for _, att := range a.RecentAttempts(e.name(), 0) { // newest first
		c := att.Offsite
		if c == nil {
			continue
		}
		if r == nil {
			r = &OffsiteReport{Remote: c.Remote, Failing: c.Failed(), Missing: c.Missing}
		}
		switch {
		case c.Outcome == Succeeded && r.LastSuccess.IsZero():
			r.LastSuccess = startOf(att)
		case c.Failed() && r.LastFailure.IsZero():
			r.LastFailure, r.LastError = startOf(att), c.Error
		}
		first = startOf(att)
	}
	if r == nil || e.sched == nil {
		return r
	}
	ref, from := r.LastSuccess, FromOffsiteSuccess
	if ref.IsZero() {
		ref, from = first, FromFirstAttempt
		if e.registered.Before(ref) {
			ref, from = e.registered, FromRegistered
		}
	}
	r.Deadline, r.DeadlineFrom = Deadline(e.sched, ref, grace, a.cfg.Location), from
	r.Overdue = !r.Deadline.IsZero() && now.After(r.Deadline)
	return r
}

// offsiteOverdueDetail is /health's reason for a target whose local backups
// are on time but whose off-host copies are not.
func offsiteOverdueDetail(r TargetReport, now time.Time) string {
	o := r.Offsite
	var b strings.Builder
	if o.DeadlineFrom == FromOffsiteSuccess {
		fmt.Fprintf(&b, "container %s: the last backup copied off the host (%s, %s ago) is older than its schedule %q allows",
			r.Container, o.LastSuccess.UTC().Format(time.RFC3339), roundAge(now.Sub(o.LastSuccess)), r.Schedule)
	} else {
		fmt.Fprintf(&b, "container %s: no backup copied off the host yet, schedule %q", r.Container, r.Schedule)
	}
	fmt.Fprintf(&b, "; off-host copies to %s overdue since %s", o.Remote, o.Deadline.UTC().Format(time.RFC3339))
	if o.Failing {
		fmt.Fprintf(&b, "; the last copy failed: %s", o.LastError)
	}
	return b.String()
}
