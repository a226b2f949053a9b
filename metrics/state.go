package metrics

import (
	"context"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/version"
)

// Source is what the metrics read at scrape time; *agent.Agent is one.
type Source interface {
	TargetReports(ctx context.Context) []agent.TargetReport
	DestinationStats(ctx context.Context) []agent.DestinationStatus
	Connected() (ok bool, lastSync time.Time)
	Active() []agent.Attempt
}

var _ Source = (*agent.Agent)(nil)

// scrapeTimeout bounds the reads of one scrape (Collect has no context of its own).
const scrapeTimeout = 10 * time.Second

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// The state metrics, read from the agent at each scrape. Per-target series carry
// name (the backup name) and container; a target without a success has no
// last_success series (use backup_overdue to alert on it).
var (
	targetsDesc     = desc("targets", "Registered targets by state: ok, pending (not backed up yet), failing (the last attempt failed), offsite_failing (made on the host, its off-host copy failed), overdue, invalid (labels wrong).", "state")
	targetInfoDesc  = desc("target_info", "One series per registered target, with its engine, schedule and destination.", "name", "container", "engine", "schedule", "destination")
	invalidDesc     = desc("target_invalid", "1 when the target's labels are wrong, so it is not scheduled.", "name", "container")
	lastSuccessDesc = desc("backup_last_success_timestamp_seconds", "When the last successful backup of the target started (Unix time).", "name", "container")
	lastFailureDesc = desc("backup_last_failure_timestamp_seconds", "When the last failed backup of the target started (Unix time).", "name", "container")
	lastFailedDesc  = desc("backup_last_failed", "1 when the target's latest finished backup failed, 0 when it succeeded or none finished.", "name", "container")
	sizeDesc        = desc("backup_size_bytes", "Size of the target's last successful archive (compressed, encrypted: as stored).", "name", "container")
	lastDurDesc     = desc("backup_last_duration_seconds", "How long the target's last successful backup took.", "name", "container")
	nextRunDesc     = desc("backup_next_run_timestamp_seconds", "When the target's schedule fires next (Unix time).", "name", "container")
	deadlineDesc    = desc("backup_deadline_timestamp_seconds", "When the target's backups become overdue without a new success: the second scheduled run after the last success, plus the time a run may take (Unix time).", "name", "container")
	overdueDesc     = desc("backup_overdue", "1 when the target's deadline passed without a new successful backup (what /health reports).", "name", "container")
	archivesDesc    = desc("backup_archives", "Archives of the target's backup name kept on every destination.", "name", "container")
	inFlightDesc    = desc("backups_in_flight", "Backup attempts running now (holding a worker).", nil...)
	queuedDesc      = desc("backups_queued", "Backup attempts waiting for a worker.", nil...)
	freeDesc        = desc("volume_free_bytes", "Space available to the agent on the file system of a backup destination.", "destination")
	fsSizeDesc      = desc("volume_size_bytes", "Size of the file system of a backup destination.", "destination")
	volArchDesc     = desc("volume_archives", "Archives stored on a backup destination.", "destination")
	volBytesDesc    = desc("volume_archive_bytes", "Total size of the archives stored on a backup destination.", "destination")
	connectedDesc   = desc("docker_connected", "1 while the agent follows the Docker engine's events, 0 while it is disconnected and reconnecting.", nil...)
	lastSyncDesc    = desc("docker_last_sync_timestamp_seconds", "When the agent last listed the engine's containers completely (Unix time).", nil...)
	buildDesc       = desc("build_info", "Always 1; the version of the agent and the Go it was built with.", "version", "goversion")
)

var allDescs = []*prometheus.Desc{targetsDesc, targetInfoDesc, invalidDesc, lastSuccessDesc, lastFailureDesc,
	lastFailedDesc, sizeDesc, lastDurDesc, nextRunDesc, deadlineDesc, overdueDesc, archivesDesc, inFlightDesc,
	queuedDesc, freeDesc, fsSizeDesc, volArchDesc, volBytesDesc, connectedDesc, lastSyncDesc, buildDesc, restoreLastSuccessDesc}

// stateCollector reads the agent's state at scrape time.
type stateCollector struct{ src Source }

func newStateCollector(src Source) prometheus.Collector { return stateCollector{src} }

// Describe implements prometheus.Collector.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append(allDescs, offsiteDescs...) {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	states := map[agent.TargetState]int{agent.StateOK: 0, agent.StatePending: 0, agent.StateFailing: 0, agent.StateOverdue: 0, agent.StateInvalid: 0,
		agent.StateOffsiteFailing: 0}
	for _, t := range c.src.TargetReports(ctx) {
		states[t.State]++
		collectTarget(gauge, t)
	}
	for state, n := range states {
		gauge(targetsDesc, float64(n), string(state))
	}
	running, queued := 0, 0
	for _, a := range c.src.Active() {
		if a.Outcome == agent.Running {
			running++
		} else {
			queued++
		}
	}
	gauge(inFlightDesc, float64(running))
	gauge(queuedDesc, float64(queued))
	for _, d := range c.src.DestinationStats(ctx) {
		if d.Root == "" || (d.Error != "" && d.TotalBytes == 0) {
			continue // unreadable: /health and /status say why
		}
		gauge(freeDesc, float64(d.FreeBytes), d.Root)
		gauge(fsSizeDesc, float64(d.TotalBytes), d.Root)
		gauge(volArchDesc, float64(d.Archives), d.Root)
		gauge(volBytesDesc, float64(d.ArchiveBytes), d.Root)
	}
	connected, lastSync := c.src.Connected()
	gauge(connectedDesc, boolValue(connected))
	if !lastSync.IsZero() {
		gauge(lastSyncDesc, unix(lastSync))
	}
	gauge(buildDesc, 1, version.Version, runtime.Version())
}

// collectTarget sends one target's series.
func collectTarget(gauge func(*prometheus.Desc, float64, ...string), t agent.TargetReport) {
	id := []string{t.Name, t.Container}
	gauge(targetInfoDesc, 1, t.Name, t.Container, t.Engine, t.Schedule, t.Destination)
	gauge(invalidDesc, boolValue(t.State == agent.StateInvalid), id...)
	gauge(archivesDesc, float64(t.Archives), id...)
	collectTestRestores(gauge, t)
	if t.State == agent.StateInvalid {
		return
	}
	if s := t.LastSuccess; s != nil {
		gauge(lastSuccessDesc, unix(startOf(*s)), id...)
		gauge(sizeDesc, float64(s.SizeBytes), id...)
		gauge(lastDurDesc, s.Duration().Seconds(), id...)
	}
	if f := t.LastFailure; f != nil {
		gauge(lastFailureDesc, unix(startOf(*f)), id...)
	}
	gauge(lastFailedDesc, boolValue(t.State == agent.StateFailing), id...)
	if !t.NextRun.IsZero() {
		gauge(nextRunDesc, unix(t.NextRun), id...)
	}
	if !t.Deadline.IsZero() {
		gauge(deadlineDesc, unix(t.Deadline), id...)
	}
	gauge(overdueDesc, boolValue(t.Overdue), id...)
	collectOffsite(gauge, t)
}

func startOf(a agent.Attempt) time.Time {
	if !a.Started.IsZero() {
		return a.Started
	}
	return a.Queued
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
