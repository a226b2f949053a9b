// Package metrics exposes the agent to Prometheus: an Observer of the agent that
// counts backups as they finish, and a collector that reads the agent's targets,
// destinations and Docker connection at scrape time, all in the agent's own
// registry (never the global one). docs/METRICS.md lists every metric.
//
// Labels are bounded: backup names and containers (as many as the labelled
// containers), engines, outcomes, error kinds and destinations. Error messages
// never become labels.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/baktainer/baktainer/agent"
)

// namespace prefixes every metric of baktainer's own.
const namespace = "baktainer"

// durationBuckets span a tiny database (under a second) to a large one (hours).
var durationBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400}

// Metrics is the agent's Prometheus registry and the observer that feeds it.
type Metrics struct {
	reg       *prometheus.Registry
	backups   *prometheus.CounterVec
	failures  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	retention *prometheus.CounterVec
	warnings  prometheus.Counter
	offsite   offsiteMetrics

	restoreFailures *prometheus.CounterVec // verify.go
}

var (
	_ agent.Observer        = (*Metrics)(nil)
	_ agent.WarningObserver = (*Metrics)(nil)
	_ agent.TargetObserver  = (*Metrics)(nil)
)

// New makes a registry with baktainer's metrics, the state read from src at each
// scrape, and the Go runtime and process collectors. The Metrics is an observer:
// subscribe it to the agent (package server does, and serves Handler at
// /metrics).
func New(src Source) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "backups_total",
			Help: "Finished backup attempts (each with all its retries), by backup name and outcome (succeeded, failed)."},
			[]string{"name", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "backup_failures_total",
			Help: "Failed backup attempts by backup name and error kind (labels, dump_tool, timeout, storage, ...; see docs/AGENT.md)."},
			[]string{"name", "error_kind"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "backup_duration_seconds",
			Help: "How long finished backup attempts took, from start to end including retries, by engine and outcome.", Buckets: durationBuckets},
			[]string{"engine", "outcome"}),
		retention: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "retention_removed_total",
			Help: "Archives removed by retention after a successful backup, by backup name."},
			[]string{"name"}),
		warnings: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "warnings_total",
			Help: "Warnings raised: wrong labels, a skipped run, two containers sharing a backup name, a failed retention."}),
		restoreFailures: newRestoreFailures(),
	}
	m.offsite = newOffsiteMetrics()
	m.reg.MustRegister(m.backups, m.failures, m.durations, m.retention, m.warnings, m.restoreFailures, newStateCollector(src),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.offsite.collectors()...)
	return m
}

// Registry returns the registry, for tests and for embedding more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry: m.reg, ErrorHandling: promhttp.ContinueOnError}))
}

// BackupStarted implements agent.Observer; in-flight backups are read at scrape time.
func (m *Metrics) BackupStarted(agent.Attempt) {}

// BackupFinished implements agent.Observer.
func (m *Metrics) BackupFinished(a agent.Attempt) {
	m.backups.WithLabelValues(a.Name, string(a.Outcome)).Inc()
	if a.Outcome == agent.Failed {
		m.failures.WithLabelValues(a.Name, string(a.ErrorKind)).Inc()
	}
	if !a.Started.IsZero() && !a.Ended.IsZero() {
		m.durations.WithLabelValues(a.Engine, string(a.Outcome)).Observe(a.Duration().Seconds())
	}
	if a.Pruned > 0 {
		m.retention.WithLabelValues(a.Name).Add(float64(a.Pruned))
	}
	m.offsite.finished(a)
}

// Warning implements agent.WarningObserver.
func (m *Metrics) Warning(agent.Warning) { m.warnings.Inc() }

// TargetRegistered implements agent.TargetObserver: a target's counters start at
// zero, so the first failure is an increase that alerts see (a series that
// appears at 1 has no increase to show).
func (m *Metrics) TargetRegistered(t agent.TargetStatus) {
	for _, outcome := range []agent.Outcome{agent.Succeeded, agent.Failed} {
		m.backups.WithLabelValues(t.Name, string(outcome))
	}
	m.retention.WithLabelValues(t.Name)
	m.registerTestRestores(t)
	m.offsite.registered(t.Name)
}

// TargetRemoved implements agent.TargetObserver. Counters stay: a container that
// comes back (a restart, a recreate) continues them; they reset with the agent.
func (m *Metrics) TargetRemoved(agent.TargetStatus) {}
