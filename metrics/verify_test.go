package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/baktainer/baktainer/agent"
)

func TestTestRestoreMetrics(t *testing.T) {
	src := fixture()
	passed := &agent.TestRestore{ID: "t1", Name: "shop", Outcome: agent.Succeeded, Queued: t0, Started: t0, Ended: t0.Add(30 * time.Second)}
	src.targets[1].TestRestore = &agent.TestRestoreReport{Schedule: "@weekly", State: agent.RestorePassed, LastSuccess: passed}
	m := New(src)
	// Registered with test-restores on: its failures start at 0; without: no series.
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "shop", TestRestoreSchedule: "@weekly"}})
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "crm"}})
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "typo", TestRestoreSchedule: "@weekly"}})
	m.TestRestoreFinished(*passed)
	for range 2 {
		m.TestRestoreFinished(agent.TestRestore{ID: "t2", Name: "typo", Outcome: agent.Failed, FailedCheck: "rows of app.t", Error: "expected 3 rows"})
	}
	want := `
# HELP baktainer_restore_test_failures_total Failed test-restores (an archive restored into a scratch container did not pass every check), by backup name.
# TYPE baktainer_restore_test_failures_total counter
baktainer_restore_test_failures_total{name="shop"} 0
baktainer_restore_test_failures_total{name="typo"} 2
# HELP baktainer_restore_test_last_success_timestamp_seconds When the target's last passed test-restore ended (Unix time).
# TYPE baktainer_restore_test_last_success_timestamp_seconds gauge
baktainer_restore_test_last_success_timestamp_seconds{name="shop"} 1.80000003e+09
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"baktainer_restore_test_failures_total", "baktainer_restore_test_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}
