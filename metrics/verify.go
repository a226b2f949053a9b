package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/baktainer/baktainer/agent"
)

// The test-restores' metrics (docs/RESTORE.md): a counter of failures, fed by
// the agent as an observer, and the time of the last passed one, read from the
// agent's history at scrape time (it survives the agent's restarts).
var restoreLastSuccessDesc = desc("restore_test_last_success_timestamp_seconds",
	"When the target's last passed test-restore ended (Unix time).", "name")

var _ agent.TestRestoreObserver = (*Metrics)(nil)

func newRestoreFailures() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "restore_test_failures_total",
		Help: "Failed test-restores (an archive restored into a scratch container did not pass every check), by backup name."},
		[]string{"name"})
}

// TestRestoreStarted implements agent.TestRestoreObserver.
func (m *Metrics) TestRestoreStarted(agent.TestRestore) {}

// TestRestoreFinished implements agent.TestRestoreObserver.
func (m *Metrics) TestRestoreFinished(tr agent.TestRestore) {
	if tr.Outcome == agent.Failed {
		m.restoreFailures.WithLabelValues(tr.Name).Inc()
	}
}

// registerTestRestores starts a target's failures at zero when its
// test-restores are on, so the first failure is an increase alerts see.
func (m *Metrics) registerTestRestores(t agent.TargetStatus) {
	if t.TestRestoreSchedule != "" {
		m.restoreFailures.WithLabelValues(t.Name)
	}
}

// collectTestRestores sends a target's test-restore series.
func collectTestRestores(gauge func(*prometheus.Desc, float64, ...string), t agent.TargetReport) {
	if tr := t.TestRestore; tr != nil && tr.LastSuccess != nil && !tr.LastSuccess.Ended.IsZero() {
		gauge(restoreLastSuccessDesc, unix(tr.LastSuccess.Ended), t.Name)
	}
}
