package agent

import (
	"context"
	"os"
	"sort"
	"time"

	"github.com/baktainer/baktainer/version"
)

// StatusSchemaVersion is the version of the /status document. Fields may be added
// within a version; a field is renamed or removed only with a new version.
const StatusSchemaVersion = 1

// Status is the answer of /status: the agent, every target, every destination.
type Status struct {
	SchemaVersion int                 `json:"schema_version"`
	Time          time.Time           `json:"time"`
	Agent         AgentStatus         `json:"agent"`
	Backups       BackupCounts        `json:"backups"`
	Targets       []TargetReport      `json:"targets"`
	Destinations  []DestinationStatus `json:"destinations"`
}

// AgentStatus describes the agent process and its Docker connection.
type AgentStatus struct {
	Version         string       `json:"version"`
	Host            string       `json:"host"`
	Started         time.Time    `json:"started"`
	UptimeSeconds   float64      `json:"uptime_seconds"`
	Threads         int          `json:"threads"`
	DefaultSchedule string       `json:"default_schedule"`
	TimeZone        string       `json:"time_zone"`
	Selectors       []string     `json:"selectors"`
	Docker          DockerStatus `json:"docker"`
}

// DockerStatus is the agent's view of the Docker engine.
type DockerStatus struct {
	Reachable        bool      `json:"reachable"`
	EventsConnected  bool      `json:"events_connected"`
	LastSync         time.Time `json:"last_sync,omitzero"`
	APIVersion       string    `json:"api_version,omitempty"` // negotiated, what the agent speaks
	DaemonVersion    string    `json:"daemon_version,omitempty"`
	DaemonAPIVersion string    `json:"daemon_api_version,omitempty"` // the newest the daemon speaks
	Error            string    `json:"error,omitempty"`
}

// BackupCounts counts the attempts in flight.
type BackupCounts struct {
	Queued  int `json:"queued"`
	Running int `json:"running"`
}

// TargetState sums a target up, worst first.
type TargetState string

// Target states.
const (
	StateFailing TargetState = "failing" // the latest finished attempt failed
	StateOverdue TargetState = "overdue" // past its Deadline without a newer success
	StateInvalid TargetState = "invalid" // labels wrong: not scheduled
	StatePending TargetState = "pending" // registered, not backed up yet, not overdue
	StateOK      TargetState = "ok"      // the latest finished attempt succeeded, not overdue
)

// Rank orders states for display: failures first.
func (s TargetState) Rank() int {
	switch s {
	case StateFailing:
		return 0
	case StateOverdue:
		return 1
	case StateOffsiteFailing:
		return 2
	case StateInvalid:
		return 3
	case StatePending:
		return 4
	}
	return 5
}

// TargetReport is one target as /status, the metrics and the dashboard show it:
// its registration, its last attempts, and what the health rules make of them.
type TargetReport struct {
	TargetStatus
	State TargetState `json:"state"`
	// Overdue is true once Deadline passed (see the Deadline function).
	Overdue      bool      `json:"overdue"`
	Deadline     time.Time `json:"deadline,omitzero"`
	DeadlineFrom string    `json:"deadline_from,omitempty"` // last_success, first_attempt or registered
	DeadlineRef  time.Time `json:"deadline_ref,omitzero"`   // the time it counts from
	// The last successful archive's size and how long that backup took.
	LastSizeBytes       int64   `json:"last_size_bytes"`
	LastDurationSeconds float64 `json:"last_duration_seconds"`
	Archives            int     `json:"archives"`      // archives of this backup name on every destination
	ArchiveBytes        int64   `json:"archive_bytes"` // their total size
	// TestRestore is its test-restores (nil when they are off for it);
	// RecentArchives its newest archives with what test-restores proved of
	// each (verify_status.go).
	TestRestore    *TestRestoreReport `json:"test_restore,omitempty"`
	RecentArchives []ArchiveSummary   `json:"recent_archives,omitempty"`
	// Offsite is the state of the copies off the host; nil when none was ever
	// to be made.
	Offsite *OffsiteReport `json:"offsite,omitempty"`
}

// DestinationStatus is one backup destination (a directory or a backup volume).
type DestinationStatus struct {
	Root         string    `json:"root"`
	Archives     int       `json:"archives"`
	ArchiveBytes int64     `json:"archive_bytes"`
	Names        int       `json:"names"` // backup names with archives here
	Newest       time.Time `json:"newest,omitzero"`
	FreeBytes    uint64    `json:"free_bytes"`  // available to the agent
	TotalBytes   uint64    `json:"total_bytes"` // of the file system
	Error        string    `json:"error,omitempty"`
}

// TargetReports returns every registered target with its state, failures first,
// then by backup name.
func (a *Agent) TargetReports(ctx context.Context) []TargetReport {
	return a.targetReports(ctx, a.inventory.byName(ctx))
}

// targetReports is TargetReports with the archives per name (nil: not counted).
func (a *Agent) targetReports(ctx context.Context, perName map[string]nameTotals) []TargetReport {
	now := time.Now()
	grace := a.grace()
	entries := a.targets.snapshot()
	out := make([]TargetReport, 0, len(entries))
	for _, e := range entries {
		r := a.report(e, now, grace)
		r.Archives, r.ArchiveBytes = perName[r.Name].count, perName[r.Name].bytes
		r.DestinationProblem = a.destinationProblem(ctx, e)
		a.addTestRestores(&r, e, perName[r.Name], now)
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].State.Rank() < out[j].State.Rank() })
	return out
}

// report builds one target's report and applies the health rules to it.
func (a *Agent) report(e *entry, now time.Time, grace time.Duration) TargetReport {
	r := TargetReport{TargetStatus: a.status(e, now)}
	if s := r.LastSuccess; s != nil {
		r.LastSizeBytes, r.LastDurationSeconds = s.SizeBytes, s.Duration().Seconds()
	}
	if e.problem != nil {
		r.State = StateInvalid
		return r
	}
	r.DeadlineRef, r.DeadlineFrom = e.registered, FromRegistered
	if r.LastSuccess != nil {
		r.DeadlineRef, r.DeadlineFrom = startOf(*r.LastSuccess), FromLastSuccess
	} else if first, ok := a.oldestAttempt(r.Name); ok && first.Before(r.DeadlineRef) {
		r.DeadlineRef, r.DeadlineFrom = first, FromFirstAttempt
	}
	r.Deadline = Deadline(e.sched, r.DeadlineRef, grace, a.cfg.Location)
	r.Overdue = !r.Deadline.IsZero() && now.After(r.Deadline)
	if r.Offsite = a.offsiteReport(e, now, grace); r.Offsite != nil && r.Offsite.Overdue {
		r.Overdue = true // copies off the host are backups too (issue #16)
	}
	failedLast := r.LastFailure != nil && (r.LastSuccess == nil || r.LastFailure.Queued.After(r.LastSuccess.Queued))
	switch {
	case failedLast:
		r.State = StateFailing
	case r.Overdue:
		r.State = StateOverdue
	case r.LastSuccess == nil:
		r.State = StatePending
	case r.Offsite != nil && r.Offsite.Failing:
		r.State = StateOffsiteFailing
	default:
		r.State = StateOK
	}
	return r
}

// startOf is when an attempt began working (its queue time if it never started).
func startOf(att Attempt) time.Time {
	if !att.Started.IsZero() {
		return att.Started
	}
	return att.Queued
}

// oldestAttempt returns when the oldest recorded attempt of a backup name was queued.
func (a *Agent) oldestAttempt(name string) (time.Time, bool) {
	atts := a.RecentAttempts(name, 0)
	if len(atts) == 0 {
		return time.Time{}, false
	}
	return atts[len(atts)-1].Queued, true
}

// DestinationStats returns every destination's archives and free space (cached
// for a few seconds; a finished backup refreshes it).
func (a *Agent) DestinationStats(ctx context.Context) []DestinationStatus {
	return a.inventory.get(ctx)
}

// Status gathers the /status document.
func (a *Agent) Status(ctx context.Context) Status {
	now := time.Now()
	host, _ := os.Hostname()
	s := Status{SchemaVersion: StatusSchemaVersion, Time: now.UTC(),
		Agent: AgentStatus{Version: version.Version, Host: host, Started: a.started.UTC(),
			UptimeSeconds: now.Sub(a.started).Seconds(), Threads: a.cfg.Threads, DefaultSchedule: a.cfg.Schedule,
			TimeZone: a.cfg.Location.String(), Selectors: append([]string{}, a.cfg.Selectors...), Docker: a.dockerStatus(ctx)},
		Targets:      a.TargetReports(ctx),
		Destinations: a.DestinationStats(ctx),
	}
	for _, att := range a.Active() {
		if att.Outcome == Running {
			s.Backups.Running++
		} else {
			s.Backups.Queued++
		}
	}
	return s
}

func (a *Agent) dockerStatus(ctx context.Context) DockerStatus {
	var d DockerStatus
	d.EventsConnected, d.LastSync = a.Connected()
	vctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	v, err := a.dc.Version(vctx)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	d.Reachable, d.APIVersion, d.DaemonVersion, d.DaemonAPIVersion = true, v.ClientVersion, v.Version, v.APIVersion
	return d
}
