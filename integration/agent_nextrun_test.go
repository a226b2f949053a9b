//go:build integration

package integration

import (
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/metrics"
)

// next_run of an @every schedule is when the scheduler will fire it, not "now +
// interval": it stays put while time passes, in /api/v1/targets, /status and
// baktainer_backup_next_run_timestamp_seconds alike, and lies one interval after
// the target's registration.
func TestAgentNextRunIsTheSchedulersOwn(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily"}, reg)
	m := metrics.New(ta.Agent)
	name := startTinies(t, dc, "nextrun", 1, func(int) map[string]string {
		return standinLabels(run, labels.Schedule, "@every 1h")
	})[0]
	var registered time.Time
	waitUntil(t, 30*time.Second, func() string { return "not registered" }, func() bool {
		s, ok := ta.target(name)
		registered = s.Registered
		return ok
	})

	nextRuns := func() (fromAPI, fromStatus, fromMetric time.Time) {
		var targets []agent.TargetStatus
		api(t, "GET", ta.url+"/api/v1/targets", "", nil, &targets)
		for _, s := range targets {
			if s.Container == name {
				fromAPI = s.NextRun
			}
		}
		var st agent.Status
		api(t, "GET", ta.url+"/status", "", nil, &st)
		fromStatus = findTarget(t, st, name).NextRun
		families, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != "baktainer_backup_next_run_timestamp_seconds" {
				continue
			}
			for _, s := range f.GetMetric() {
				fromMetric = time.Unix(int64(s.GetGauge().GetValue()), 0)
			}
		}
		return fromAPI, fromStatus, fromMetric
	}
	a1, s1, m1 := nextRuns()
	time.Sleep(2500 * time.Millisecond) // time passes; the next run does not move
	a2, s2, m2 := nextRuns()
	t.Logf("next_run: API %s then %s; /status %s then %s; metric %s then %s", a1, a2, s1, s2, m1, m2)
	for what, pair := range map[string][2]time.Time{"/api/v1/targets": {a1, a2}, "/status": {s1, s2}, "metric": {m1, m2}} {
		if !pair[0].Truncate(time.Second).Equal(pair[1].Truncate(time.Second)) {
			t.Errorf("%s: next_run moved from %s to %s while nothing ran", what, pair[0], pair[1])
		}
	}
	if d := a2.Sub(registered.Add(time.Hour)); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("next_run %s is not an hour after the registration %s", a2, registered)
	}
	if !a2.Truncate(time.Second).Equal(s2.Truncate(time.Second)) || !m2.Equal(a2.Truncate(time.Second)) {
		t.Errorf("next_run differs: API %s, /status %s, metric %s", a2, s2, m2)
	}
}
