package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

func TestDeadline(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, schedule string
		ref            time.Time
		grace          time.Duration
		loc            *time.Location
		want           time.Time
	}{
		{"daily run right on time: the day after tomorrow's run may fail too", "0 0 * * *",
			at("2026-03-01T00:00:02Z"), time.Hour, time.UTC, at("2026-03-03T01:00:00Z")},
		{"an API backup in the afternoon counts from the next scheduled run", "0 0 * * *",
			at("2026-03-01T15:30:00Z"), 0, time.UTC, at("2026-03-03T00:00:00Z")},
		{"every 5s with a 25s grace", "@every 5s",
			at("2026-03-01T10:00:00Z"), 25 * time.Second, time.UTC, at("2026-03-01T10:00:35Z")},
		{"hourly", "@hourly", at("2026-03-01T10:59:59Z"), 3 * time.Minute, time.UTC, at("2026-03-01T12:03:00Z")},
		{"read in TZ: 02:00 Berlin is 01:00 UTC in winter", "0 2 * * *",
			at("2026-01-10T01:00:05Z"), 0, berlin, at("2026-01-12T01:00:00Z")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sched, err := labels.ParseSchedule(tc.schedule)
			if err != nil {
				t.Fatal(err)
			}
			if got := Deadline(sched, tc.ref, tc.grace, tc.loc); !got.Equal(tc.want) {
				t.Errorf("Deadline(%q, %s, %s) = %s, want %s", tc.schedule, tc.ref, tc.grace, got.UTC(), tc.want)
			}
		})
	}
}

// testAgent is an agent that is never Run: its table, history and destinations
// are set up by the test. Its Docker engine does not answer.
func testAgent(t *testing.T, env map[string]string) *Agent {
	t.Helper()
	vars := map[string]string{"BT_CRON": "@every 1m"}
	for k, v := range env {
		vars[k] = v
	}
	cfg := testConfig(t, vars)
	dc := fakedocker.New()
	dc.SetDown(true)
	a, err := New(cfg, Deps{Docker: dc, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := OpenHistory(cfg.StateDir, 100, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	a.history = h
	return a
}

// addTarget registers a container as discovery would, registered at when.
func addTarget(a *Agent, name string, when time.Time, extra ...string) {
	l := map[string]string{labels.Backup: "true", labels.Engine: "postgres"}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	e := newEntry(docker.Container{ID: name + "-id", Name: name, Labels: l, Running: true}, engines.Default(), a.cfg.Schedule)
	e.registered = when
	a.targets.register(e, func(string, string) {})
}

func finish(a *Agent, name string, outcome Outcome, started time.Time) {
	att := Attempt{ID: name + started.Format("150405.000"), Name: name, Container: name, Engine: "postgres",
		Outcome: outcome, Queued: started, Started: started, Ended: started.Add(2 * time.Second), SizeBytes: 1234}
	if outcome == Failed {
		att.Error, att.ErrorKind = "pg_dump: password authentication failed", KindDumpTool
	}
	a.history.BackupFinished(att)
}

func TestTargetStatesAndHealth(t *testing.T) {
	a := testAgent(t, nil) // every minute, 10s grace: overdue 2m10s after the reference
	now := time.Now()
	addTarget(a, "fresh", now.Add(-30*time.Second))
	addTarget(a, "fine", now.Add(-time.Hour))
	finish(a, "fine", Succeeded, now.Add(-50*time.Second))
	addTarget(a, "broken", now.Add(-time.Minute))
	finish(a, "broken", Succeeded, now.Add(-40*time.Second))
	finish(a, "broken", Failed, now.Add(-20*time.Second))
	addTarget(a, "stale", now.Add(-time.Hour))
	finish(a, "stale", Succeeded, now.Add(-5*time.Minute))
	addTarget(a, "never", now.Add(-10*time.Minute))
	addTarget(a, "stuck", now.Add(-time.Minute))                // registered recently...
	finish(a, "stuck", Failed, now.Add(-20*time.Minute))        // ...but failing for long
	addTarget(a, "typo", now, labels.Schedule, "every morning") // invalid

	reports := a.TargetReports(context.Background())
	got := map[string]TargetReport{}
	var order []string
	for _, r := range reports {
		got[r.Name] = r
		order = append(order, string(r.State))
	}
	want := map[string]struct {
		state   TargetState
		overdue bool
		from    string
	}{
		"fresh":  {StatePending, false, FromRegistered},
		"fine":   {StateOK, false, FromLastSuccess},
		"broken": {StateFailing, false, FromLastSuccess},
		"stale":  {StateOverdue, true, FromLastSuccess},
		"never":  {StateOverdue, true, FromRegistered},
		"stuck":  {StateFailing, true, FromFirstAttempt},
		"typo":   {StateInvalid, false, ""},
	}
	for name, w := range want {
		r := got[name]
		if r.State != w.state || r.Overdue != w.overdue || r.DeadlineFrom != w.from {
			t.Errorf("%s: state %s, overdue %t, from %q; want %s, %t, %q", name, r.State, r.Overdue, r.DeadlineFrom, w.state, w.overdue, w.from)
		}
	}
	if strings.Join(order, ",") != "failing,failing,overdue,overdue,invalid,pending,ok" {
		t.Errorf("order = %v; want failures first", order)
	}
	if r := got["fine"]; r.LastSizeBytes != 1234 || r.LastDurationSeconds != 2 {
		t.Errorf("fine: last size %d, duration %v", r.LastSizeBytes, r.LastDurationSeconds)
	}

	h := a.Health(context.Background())
	if h.OK() || h.Targets != (TargetCounts{Total: 7, Overdue: 3, Invalid: 1, Failing: 2}) {
		t.Fatalf("health = %s, %+v", h.Status, h.Targets)
	}
	reasons := strings.Join(h.Reasons, "\n")
	for _, name := range []string{"never", "stale", "stuck", "typo", "docker"} {
		if !strings.Contains(reasons, name) {
			t.Errorf("no reason names %s:\n%s", name, reasons)
		}
	}
	for _, name := range []string{"target fine", "target fresh", "target broken"} {
		if strings.Contains(reasons, name) {
			t.Errorf("a reason names %s:\n%s", name, reasons)
		}
	}
	if !strings.Contains(reasons, "the last attempt failed (dump_tool)") || strings.Contains(reasons, "password") {
		t.Errorf("reasons should name the failure's kind, never its message:\n%s", reasons)
	}
}

func TestHealthChecksDockerAndStorage(t *testing.T) {
	a := testAgent(t, nil)
	h := a.Health(context.Background())
	byCheck := map[string]CheckResult{}
	for _, c := range h.Checks {
		byCheck[c.Check] = c
	}
	if c := byCheck["docker"]; c.OK || !strings.Contains(c.Detail, "does not answer") {
		t.Errorf("docker check with no daemon = %+v", c)
	}
	if c := byCheck["docker_events"]; c.OK {
		t.Errorf("docker_events check before any connection = %+v", c)
	}
	if c := byCheck["destination"]; !c.OK || c.Subject != a.cfg.BackupDir {
		t.Errorf("destination check = %+v", c)
	}
	if c := byCheck["state_dir"]; !c.OK {
		t.Errorf("state_dir check = %+v", c)
	}

	// A destination that is a file, and an added check that fails.
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a.dests = Directory{Dir: file}
	a.AddHealthCheck("volume_driver", func(context.Context) error { return os.ErrDeadlineExceeded })
	h = a.Health(context.Background())
	reasons := strings.Join(h.Reasons, "\n")
	if !strings.Contains(reasons, "destination "+file+": not usable") || !strings.Contains(reasons, "volume_driver: i/o timeout") {
		t.Errorf("reasons:\n%s", reasons)
	}
}

func TestProbeWritableLeavesNothingAndCleanupReachesIt(t *testing.T) {
	dir := t.TempDir()
	if err := probeWritable(dir, probePrefix); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("probe left %v", entries)
	}
	if err := probeWritable(filepath.Join(dir, "missing"), probePrefix); err == nil || !strings.Contains(err.Error(), "not usable") {
		t.Errorf("missing dir: %v", err)
	}
	// What a crash between create and remove would leave: the store's cleanup
	// (run by the agent at every start) removes it.
	left := filepath.Join(dir, probePrefix+"123")
	if err := os.WriteFile(left, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleaned, err := store.Cleanup(context.Background(), dir)
	if err != nil || len(cleaned.Removed) != 1 || cleaned.Removed[0] != left {
		t.Errorf("store.Cleanup = %v, %v; want the probe removed", cleaned, err)
	}
}
