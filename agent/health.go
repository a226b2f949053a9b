package agent

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baktainer/baktainer/version"
)

// Health is the answer of /health: status "ok" (HTTP 200) when every check
// passed, else "unhealthy" (HTTP 503) with one reason per failed check.
type Health struct {
	Status  string        `json:"status"` // "ok" or "unhealthy"
	Version string        `json:"version"`
	Time    time.Time     `json:"time"`
	Targets TargetCounts  `json:"targets"`
	Checks  []CheckResult `json:"checks"`
	Reasons []string      `json:"reasons,omitempty"`
}

// TargetCounts sums the targets up for /health.
type TargetCounts struct {
	Total   int `json:"total"`
	Overdue int `json:"overdue"`
	Invalid int `json:"invalid"` // labels wrong: not scheduled
	Failing int `json:"failing"` // the last attempt failed (not a reason for 503 by itself)
	// NoDestination counts targets whose archives cannot be written where they go
	// (e.g. baktainer.volume names no volume): scheduled, but bound to fail.
	NoDestination int `json:"no_destination"`
}

// HealthSummary is /health for a client without the API token, when one is set:
// whether the agent is healthy, and counts. Nothing in it names a target, a
// container, a label, a volume or a path.
type HealthSummary struct {
	Status  string       `json:"status"`
	Time    time.Time    `json:"time"`
	Targets TargetCounts `json:"targets"`
	Checks  CheckCounts  `json:"checks"`
}

// CheckCounts counts the checks of a /health answer.
type CheckCounts struct {
	Total  int `json:"total"`
	Failed int `json:"failed"`
}

// Summary is h without anything that names what was checked.
func (h Health) Summary() HealthSummary {
	s := HealthSummary{Status: h.Status, Time: h.Time, Targets: h.Targets, Checks: CheckCounts{Total: len(h.Checks)}}
	for _, c := range h.Checks {
		if !c.OK {
			s.Checks.Failed++
		}
	}
	return s
}

// OK reports whether every check passed.
func (h Health) OK() bool { return h.Status == "ok" }

// CheckResult is one thing /health looked at.
type CheckResult struct {
	Check   string `json:"check"`             // docker, docker_events, state_dir, destination, target, or an added check's name
	Subject string `json:"subject,omitempty"` // the destination root or the target's backup name
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
}

// healthTimeout bounds each check that talks to Docker or to an added check.
const healthTimeout = 5 * time.Second

// probePrefix starts the files /health writes to prove a destination writable.
// It starts with the store's temp prefix (".baktainer-tmp-"), so a probe left by a
// crash is removed by store.Cleanup like any unfinished archive.
const probePrefix = ".baktainer-tmp-health-"

// stateProbePrefix is the same for the state directory, whose history rewrites
// ("history.jsonl.tmp-*") are removed by OpenHistory at start.
const stateProbePrefix = historyFile + ".tmp-health-"

// Health runs every check: Docker answers and its events are followed, the state
// directory and every backup destination are writable, every added check passes,
// and no target's backups are overdue or stopped by wrong labels (see Deadline).
func (a *Agent) Health(ctx context.Context) Health {
	now := time.Now()
	var checks []CheckResult
	checks = append(checks, a.dockerChecks(ctx)...)
	checks = append(checks, a.storageChecks(ctx)...)
	checks = append(checks, a.extraChecks(ctx)...)
	// Without the archive counts: /health never waits on a walk of a destination.
	counts, bad := targetChecks(a.targetReports(ctx, nil), now)
	h := NewHealth(append(checks, bad...), now)
	h.Targets = counts
	return h
}

// NewHealth sums checks up into a /health answer: unhealthy, with one reason
// each, when any failed. The plugin uses it too when it refuses to start.
func NewHealth(checks []CheckResult, now time.Time) Health {
	h := Health{Status: "ok", Version: version.Version, Time: now.UTC(), Checks: checks}
	for _, c := range checks {
		if !c.OK {
			h.Status = "unhealthy"
			reason := c.Check + ": " + c.Detail
			if c.Subject != "" {
				reason = c.Check + " " + c.Subject + ": " + c.Detail
			}
			h.Reasons = append(h.Reasons, reason)
		}
	}
	return h
}

func (a *Agent) dockerChecks(ctx context.Context) []CheckResult {
	pctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	docker := CheckResult{Check: "docker", OK: true, Detail: "the daemon answers"}
	if err := a.dc.Ping(pctx); err != nil {
		docker.OK, docker.Detail = false, strings.TrimPrefix(err.Error(), "docker: ")
	}
	events := CheckResult{Check: "docker_events", OK: true}
	connected, lastSync := a.Connected()
	switch {
	case connected:
		events.Detail = "following container events; last full list at " + lastSync.UTC().Format(time.RFC3339)
	case lastSync.IsZero():
		events.OK, events.Detail = false, "not yet connected to the events stream (containers not listed yet)"
	default:
		events.OK, events.Detail = false, "the events stream broke; reconnecting (last full list at "+lastSync.UTC().Format(time.RFC3339)+")"
	}
	return []CheckResult{docker, events}
}

// storageChecks proves the state directory and each destination writable by
// creating and removing a small file in it.
func (a *Agent) storageChecks(ctx context.Context) []CheckResult {
	state := CheckResult{Check: "state_dir", Subject: a.cfg.StateDir, OK: true, Detail: "writable"}
	if err := probeWritable(a.cfg.StateDir, stateProbePrefix); err != nil {
		state.OK, state.Detail = false, err.Error()
	}
	out := []CheckResult{state}
	roots, err := a.dests.Roots(ctx)
	if err != nil {
		return append(out, CheckResult{Check: "destination", OK: false, Detail: "cannot list the backup destinations: " + err.Error()})
	}
	for _, root := range roots {
		c := CheckResult{Check: "destination", Subject: root, OK: true, Detail: "writable"}
		if err := probeWritable(root, probePrefix); err != nil {
			c.OK, c.Detail = false, err.Error()
		}
		out = append(out, c)
	}
	return out
}

// probeWritable creates, writes and removes a file in dir.
func probeWritable(dir, prefix string) error {
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("not usable: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("not usable: %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	_, werr := f.Write([]byte("baktainer health probe\n"))
	cerr := f.Close()
	rerr := os.Remove(f.Name())
	for _, err := range []error{werr, cerr, rerr} {
		if err != nil {
			return fmt.Errorf("not writable: %w", err)
		}
	}
	return nil
}

// extraChecks runs the checks added with AddHealthCheck (healthcheck.go).
func (a *Agent) extraChecks(ctx context.Context) []CheckResult {
	list := a.HealthChecks()
	out := make([]CheckResult, 0, len(list))
	for _, hc := range list {
		cctx, cancel := context.WithTimeout(ctx, healthTimeout)
		c := CheckResult{Check: hc.Name, OK: true, Detail: "ok"}
		if err := hc.Check(cctx); err != nil {
			c.OK, c.Detail = false, err.Error()
		}
		cancel()
		out = append(out, c)
	}
	return out
}

// targetChecks counts the targets and returns one failed check per target whose
// backups are overdue, whose labels keep it from being scheduled, or whose
// destination cannot be written to (at once, not hours later when it is overdue). A target whose
// last backup failed but is not overdue yet does not fail /health: the failure is
// already loud (log, notification, metrics), and one missed run is tolerated.
func targetChecks(reports []TargetReport, now time.Time) (TargetCounts, []CheckResult) {
	counts := TargetCounts{Total: len(reports)}
	var bad []CheckResult
	for _, r := range reports {
		if r.State == StateFailing {
			counts.Failing++
		}
		switch {
		case r.Problem != "":
			counts.Invalid++
			bad = append(bad, CheckResult{Check: "target", Subject: r.Name, Detail: fmt.Sprintf(
				"container %s is not backed up: %s", r.Container, r.Problem)})
		case r.Overdue:
			counts.Overdue++
			bad = append(bad, CheckResult{Check: "target", Subject: r.Name, Detail: overdueDetail(r, now)})
		case r.DestinationProblem != "":
			counts.NoDestination++
			bad = append(bad, CheckResult{Check: "target", Subject: r.Name, Detail: fmt.Sprintf(
				"container %s: its backups cannot be written: %s", r.Container, r.DestinationProblem)})
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].Subject < bad[j].Subject })
	return counts, bad
}

func overdueDetail(r TargetReport, now time.Time) string {
	if o := r.Offsite; o != nil && o.Overdue && (r.Deadline.IsZero() || !now.After(r.Deadline)) {
		return offsiteOverdueDetail(r, now)
	}
	var b strings.Builder
	switch r.DeadlineFrom {
	case FromLastSuccess:
		fmt.Fprintf(&b, "container %s: the last successful backup (%s, %s ago) is older than its schedule %q allows",
			r.Container, r.LastSuccess.Started.UTC().Format(time.RFC3339), roundAge(now.Sub(r.LastSuccess.Started)), r.Schedule)
	default:
		fmt.Fprintf(&b, "container %s: never backed up successfully since %s (%s ago), schedule %q",
			r.Container, r.DeadlineRef.UTC().Format(time.RFC3339), roundAge(now.Sub(r.DeadlineRef)), r.Schedule)
	}
	fmt.Fprintf(&b, "; overdue since %s", r.Deadline.UTC().Format(time.RFC3339))
	if r.LastFailure != nil && (r.LastSuccess == nil || r.LastFailure.Queued.After(r.LastSuccess.Queued)) {
		fmt.Fprintf(&b, "; the last attempt failed (%s)", r.LastFailure.ErrorKind)
	}
	return b.String()
}

func roundAge(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// Where a deadline counts from.
const (
	FromLastSuccess  = "last_success"  // the start of the last successful backup
	FromFirstAttempt = "first_attempt" // never succeeded: the oldest attempt on record
	FromRegistered   = "registered"    // never succeeded, never attempted: when the agent registered it
)

// Deadline is when a target's backups become overdue: the second scheduled run
// after ref, plus grace (how long one run may take, with its retries). One missed
// or failed run is tolerated; two are not. ref is the start of the last successful
// backup, or, for a target that never had one, its oldest recorded attempt or its
// registration, whichever came first. A zero time means never (a schedule with no
// further runs).
func Deadline(sched cron.Schedule, ref time.Time, grace time.Duration, loc *time.Location) time.Time {
	first := sched.Next(ref.In(loc))
	if first.IsZero() {
		return time.Time{}
	}
	second := sched.Next(first)
	if second.IsZero() {
		return time.Time{}
	}
	return second.Add(grace)
}

// grace is the longest one scheduled run may take: BT_BACKUP_TIMEOUT per try, for
// the first try and every retry, plus the waits between them.
func (a *Agent) grace() time.Duration {
	g := a.cfg.BackupTimeout * time.Duration(1+a.cfg.Retries)
	for try := 1; try <= a.cfg.Retries; try++ {
		g += retryDelay(a.cfg.RetryDelay, try)
	}
	return g
}
