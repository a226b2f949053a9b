//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// healthWorld is the real `baktainer agent` binary with an API token, watching a
// Postgres target that backs up fine and one whose password is wrong, with
// passwords planted in their labels and environments and secrets in the agent's.
type healthWorld struct {
	agent     *agentProcess
	dir       string
	token     string
	good, bad string   // container (= backup) names
	secrets   []string // planted: no endpoint may ever return one
	bodies    map[string]string
}

// get fetches a path with the token (or another Authorization value) and records
// the body for the secrets check.
func (w *healthWorld) get(t *testing.T, path, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", w.agent.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	w.bodies[fmt.Sprintf("GET %s (auth %t) #%d", path, auth != "", len(w.bodies))] = string(b)
	return resp.StatusCode, string(b)
}

func (w *healthWorld) bearer() string { return "Bearer " + w.token }

// getJSON fetches with the token and decodes, failing on another status.
func (w *healthWorld) getJSON(t *testing.T, path string, wantStatus int, out any) {
	t.Helper()
	status, body := w.get(t, path, w.bearer())
	if status != wantStatus {
		t.Fatalf("GET %s: HTTP %d, want %d: %s", path, status, wantStatus, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

func (w *healthWorld) attempts(t *testing.T, name string) []agent.Attempt {
	var atts []agent.Attempt
	w.getJSON(t, "/api/v1/backups?name="+name, 200, &atts)
	return atts
}

// health gets /health with the token (without it, /health says status and
// counts only) and checks that the answer without it agrees.
func (w *healthWorld) health(t *testing.T) (int, agent.Health) {
	t.Helper()
	status, body := w.get(t, "/health", w.bearer())
	var h agent.Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/health: HTTP %d: %v: %s", status, err, body)
	}
	publicStatus, publicBody := w.get(t, "/health", "")
	var summary agent.HealthSummary
	// (Asked a moment apart, the two may disagree on the status.)
	if err := json.Unmarshal([]byte(publicBody), &summary); err != nil || summary.Targets.Total != 2 || summary.Checks.Total == 0 {
		t.Errorf("/health without token: HTTP %d %s; want the status and counts", publicStatus, publicBody)
	}
	if strings.Contains(publicBody, w.good) || strings.Contains(publicBody, w.bad) || strings.Contains(publicBody, w.dir) {
		t.Errorf("/health without token names a target or a destination: %s", publicBody)
	}
	return status, h
}

// metrics scrapes /metrics, checks it with promtool and parses it.
func (w *healthWorld) metrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := w.get(t, "/metrics", w.bearer())
	if status != 200 {
		t.Fatalf("/metrics: HTTP %d: %s", status, body)
	}
	cmd := exec.Command(rig.Tool(t, "promtool"), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics on the live /metrics: %v\n%s", err, out)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// sample returns the value of the series of family name whose labels include
// want; ok is false when there is none.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// startHealthWorld starts the two Postgres targets and the agent.
func startHealthWorld(t *testing.T) *healthWorld {
	dc := rig.Docker(t)
	run := rig.RunID()
	w := &healthWorld{dir: t.TempDir(), token: "tok-" + rig.RunID() + rig.RunID() + rig.RunID(), bodies: map[string]string{}}
	plant := func(what string) string {
		s := what + "-Planted-" + rig.RunID()
		w.secrets = append(w.secrets, s)
		return s
	}
	w.secrets = append(w.secrets, w.token)
	labels := func(extra ...string) map[string]string {
		l := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run,
			"com.example.dsn": "postgres://app:" + plant("dsnlabel") + "@db/app"}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	// The failing one: local logins need a password, and its password file holds a wrong one.
	w.bad = rig.Start(t, dc, rig.ContainerSpec{Name: "health-pg-bad", Image: rig.PostgresImage,
		Env: []string{"POSTGRES_PASSWORD=" + plant("badenv"), "APP_SECRET_KEY=" + plant("badenvkey"),
			"POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256"},
		Labels: labels("baktainer.db.password_file", "/tmp/db_password", "baktainer.db.password", plant("badlabel"),
			"baktainer.schedule", "@every 5s")})
	w.good = rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "health-pg-ok",
		Env:    []string{"POSTGRES_PASSWORD=" + plant("okenv"), "POSTGRES_DB=app", "API_TOKEN=" + plant("okenvtoken")},
		Labels: labels("baktainer.db.password", plant("oklabel"), "baktainer.schedule", "@every 1h", "baktainer.backup.on_start", "true")})
	rig.WaitFor(t, dc, w.bad, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Exec(t, dc, w.bad, strings.NewReader(plant("wrongfile")+"\n"), nil, "tee", "/tmp/db_password")
	rig.Psql(t, dc, w.good, "postgres", "app", "CREATE TABLE t (id int, note text); INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 5000) g;")

	port := freePort(t)
	// BT_BACKUP_TIMEOUT sets the grace of the overdue rule: the failing target
	// (every 5s) is overdue 5s + 5s + 25s after its registration.
	env := []string{"BT_BACKUP_DIR=" + w.dir, "BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_HEALTH_PORT=" + port,
		"BT_API_TOKEN=" + w.token, "BT_CRON=@daily", "BT_BACKUP_TIMEOUT=25s", "BT_BACKUP_RETRIES=0",
		"BT_RETENTION_COUNT=1", "BT_LOG_LEVEL=debug",
		"BT_WEBHOOK_URL=http://127.0.0.1:9/hook?secret=" + plant("webhook")}
	w.agent = &agentProcess{logs: &syncBuffer{}, url: "http://127.0.0.1:" + port}
	w.agent.cmd = exec.Command(baktainerBinary(t), "agent")
	w.agent.cmd.Env = append(os.Environ(), env...)
	w.agent.cmd.Stdout, w.agent.cmd.Stderr = w.agent.logs, w.agent.logs
	if err := w.agent.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.agent.cmd.Process.Kill(); _ = w.agent.cmd.Wait() })
	waitUntil(t, 30*time.Second, func() string { return "agent not up; logs:\n" + w.agent.logs.String() }, func() bool {
		resp, err := http.Get(w.agent.url + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return w
}

// Every endpoint of a running agent, against real Docker and real Postgres: a
// target that backs up and one whose password is wrong. /health, /status and
// /metrics (promtool check metrics on the live output), the token on every
// endpoint but /health, the dashboard in headless Chromium (failures first, the
// run-now button), and no planted secret in anything served.
func TestHealthStatusMetricsDashboard(t *testing.T) {
	w := startHealthWorld(t)
	waitUntil(t, 60*time.Second, func() string { return "no backups of both targets; logs:\n" + w.agent.logs.String() }, func() bool {
		return count(w.attempts(t, w.good), agent.Succeeded) > 0 && count(w.attempts(t, w.bad), agent.Failed) > 0
	})

	t.Run("health tolerates one failed run", func(t *testing.T) {
		var st agent.Status
		w.getJSON(t, "/status", 200, &st)
		bad := findTarget(t, st, w.bad)
		if !time.Now().Before(bad.Deadline) {
			t.Fatalf("the failing target is overdue already (deadline %s): the machine is too slow for this test's timing", bad.Deadline)
		}
		status, h := w.health(t)
		if status != 200 || !h.OK() || len(h.Reasons) != 0 || h.Version == "" {
			t.Fatalf("/health = HTTP %d %+v; want 200: Docker answers, the destination is writable, nothing overdue yet", status, h)
		}
		if h.Targets != (agent.TargetCounts{Total: 2, Failing: 1}) {
			t.Errorf("/health targets = %+v; want 2, 1 failing", h.Targets)
		}
		for _, want := range []string{"docker", "docker_events", "state_dir", "destination"} {
			if !hasCheck(h, want, "") {
				t.Errorf("/health has no passing %q check: %+v", want, h.Checks)
			}
		}
		if !hasCheck(h, "destination", w.dir) {
			t.Errorf("/health did not check the backup directory %s: %+v", w.dir, h.Checks)
		}
		if left := tempFiles(t, w.dir); len(left) != 0 {
			t.Errorf("the writability probe left files: %v", left)
		}
	})

	t.Run("token on everything but health", func(t *testing.T) {
		for _, path := range []string{"/status", "/metrics", "/api/v1/targets", "/api/v1/backups", "/dashboard/targets"} {
			for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + w.token} {
				if status, _ := w.get(t, path, auth); status != http.StatusUnauthorized {
					t.Errorf("GET %s with Authorization %q: HTTP %d, want 401", path, auth, status)
				}
			}
		}
		if status, _ := w.get(t, "/health", ""); status == http.StatusUnauthorized {
			t.Errorf("/health asked for the token")
		}
		// The page and its assets are public, and then carry no data.
		status, page := w.get(t, "/", "")
		if status != 200 || !strings.Contains(page, `data-token-required="true"`) || strings.Contains(page, w.good) || strings.Contains(page, w.bad) {
			t.Errorf("GET / without token: HTTP %d; want the token form and no target:\n%s", status, page)
		}
		for _, asset := range []string{"/assets/dashboard.js", "/assets/dashboard.css", "/assets/favicon.svg"} {
			if status, _ := w.get(t, asset, ""); status != 200 {
				t.Errorf("GET %s: HTTP %d", asset, status)
			}
		}
		// A page on another origin cannot post a backup, even with the token.
		req, _ := http.NewRequest("POST", w.agent.url+"/api/v1/backups", strings.NewReader(`{"container":"`+w.good+`"}`))
		req.Header.Set("Authorization", w.bearer())
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST /api/v1/backups: HTTP %d, want 403", resp.StatusCode)
		}
	})

	t.Run("status", func(t *testing.T) { checkStatus(t, w) })

	t.Run("dashboard in chromium", func(t *testing.T) { checkDashboardInBrowser(t, w) })

	t.Run("metrics", func(t *testing.T) {
		var m map[string]*dto.MetricFamily
		// The button's backup pruned the first archive (BT_RETENTION_COUNT=1).
		waitUntil(t, 30*time.Second, func() string { return "retention_removed_total did not count the prune" }, func() bool {
			m = w.metrics(t)
			v, _ := sample(m, "baktainer_retention_removed_total", map[string]string{"name": w.good})
			return v >= 1
		})
		checkMetrics(t, w, m)
	})

	t.Run("health reports the overdue target", func(t *testing.T) {
		var h agent.Health
		waitUntil(t, 90*time.Second, func() string { return fmt.Sprintf("/health did not turn 503: %+v", h) }, func() bool {
			status, got := w.health(t)
			h = got
			return status == http.StatusServiceUnavailable
		})
		if h.OK() || len(h.Reasons) != 1 || h.Targets.Overdue != 1 || !strings.Contains(h.Reasons[0], w.bad) ||
			!strings.Contains(h.Reasons[0], "overdue since") || !strings.Contains(h.Reasons[0], "dump_tool") {
			t.Errorf("/health reasons = %q; want one naming %s, overdue, the last failure's kind", h.Reasons, w.bad)
		}
		if strings.Contains(strings.Join(h.Reasons, "\n"), w.good) {
			t.Errorf("/health blames the healthy target: %q", h.Reasons)
		}
		m := w.metrics(t)
		if v, ok := sample(m, "baktainer_backup_overdue", map[string]string{"name": w.bad}); !ok || v != 1 {
			t.Errorf("baktainer_backup_overdue{name=%s} = %v (%t), want 1", w.bad, v, ok)
		}
		if v, ok := sample(m, "baktainer_backup_overdue", map[string]string{"name": w.good}); !ok || v != 0 {
			t.Errorf("baktainer_backup_overdue{name=%s} = %v (%t), want 0", w.good, v, ok)
		}
	})

	t.Run("no secret in any body", func(t *testing.T) {
		// One more of every endpoint, now that every kind of state exists.
		for _, path := range []string{"/", "/dashboard/targets", "/status", "/metrics", "/api/v1/targets", "/api/v1/backups"} {
			w.get(t, path, w.bearer())
		}
		for _, a := range append(w.attempts(t, w.good), w.attempts(t, w.bad)...) {
			w.get(t, "/api/v1/backups/"+a.ID, w.bearer())
		}
		if len(w.bodies) < 30 {
			t.Fatalf("only %d bodies collected", len(w.bodies))
		}
		for what, body := range w.bodies {
			for _, secret := range w.secrets {
				if strings.Contains(body, secret) {
					t.Errorf("%s returned a planted secret (%s…)", what, secret[:6])
				}
			}
		}
	})
}

func findTarget(t *testing.T, st agent.Status, container string) agent.TargetReport {
	t.Helper()
	for _, r := range st.Targets {
		if r.Container == container {
			return r
		}
	}
	t.Fatalf("/status has no target %s: %+v", container, st.Targets)
	return agent.TargetReport{}
}

func hasCheck(h agent.Health, check, subject string) bool {
	for _, c := range h.Checks {
		if c.Check == check && c.OK && (subject == "" || c.Subject == subject) {
			return true
		}
	}
	return false
}

// checkStatus checks /status against what the test knows happened.
func checkStatus(t *testing.T, w *healthWorld) {
	var st agent.Status
	w.getJSON(t, "/status", 200, &st)
	a := st.Agent
	if st.SchemaVersion != 1 || a.Version == "" || a.UptimeSeconds <= 0 || a.Started.IsZero() || a.Threads != 4 ||
		!a.Docker.Reachable || !a.Docker.EventsConnected || !strings.HasPrefix(a.Docker.APIVersion, "1.") ||
		a.Docker.DaemonVersion == "" || a.Docker.DaemonAPIVersion == "" {
		t.Errorf("/status agent = %+v (schema %d)", a, st.SchemaVersion)
	}
	if len(st.Targets) != 2 || st.Targets[0].Container != w.bad {
		t.Fatalf("/status targets: want 2, the failing one first: %+v", st.Targets)
	}
	bad, good := st.Targets[0], st.Targets[1]
	if bad.State != agent.StateFailing || bad.Engine != "postgres" || bad.Schedule != "@every 5s" || bad.NextRun.IsZero() ||
		bad.LastFailure == nil || bad.LastFailure.ErrorKind != agent.KindDumpTool || bad.LastSuccess != nil ||
		bad.Archives != 0 || bad.DeadlineFrom != agent.FromRegistered || bad.Destination == "" {
		t.Errorf("/status failing target = %+v", bad)
	}
	if good.State != agent.StateOK || good.Container != w.good || good.Name != w.good || good.Database != "app" ||
		good.LastSuccess == nil || good.LastSizeBytes <= 0 || good.LastSizeBytes != good.LastSuccess.SizeBytes ||
		good.LastDurationSeconds <= 0 || good.LastFailure != nil || good.Archives != 1 || good.ArchiveBytes != good.LastSizeBytes ||
		good.Overdue || good.DeadlineFrom != agent.FromLastSuccess || !good.Deadline.After(time.Now().Add(time.Hour)) ||
		!strings.HasPrefix(good.Destination, w.dir) {
		t.Errorf("/status healthy target = %+v", good)
	}
	if len(st.Destinations) != 1 {
		t.Fatalf("/status destinations = %+v", st.Destinations)
	}
	d := st.Destinations[0]
	if d.Root != w.dir || d.Archives != 1 || d.ArchiveBytes != good.LastSizeBytes || d.Names != 1 || d.FreeBytes == 0 ||
		d.TotalBytes < d.FreeBytes || d.Newest.IsZero() || d.Error != "" {
		t.Errorf("/status destination = %+v", d)
	}
}

// checkMetrics checks the live metrics against what the test knows happened.
func checkMetrics(t *testing.T, w *healthWorld, m map[string]*dto.MetricFamily) {
	for _, c := range []struct {
		name   string
		labels map[string]string
		ok     func(v float64) bool
	}{
		{"baktainer_backups_total", map[string]string{"name": w.good, "outcome": "succeeded"}, func(v float64) bool { return v >= 2 }},
		{"baktainer_backups_total", map[string]string{"name": w.good, "outcome": "failed"}, func(v float64) bool { return v == 0 }},
		{"baktainer_backups_total", map[string]string{"name": w.bad, "outcome": "failed"}, func(v float64) bool { return v >= 1 }},
		{"baktainer_backup_failures_total", map[string]string{"name": w.bad, "error_kind": "dump_tool"}, func(v float64) bool { return v >= 1 }},
		{"baktainer_backup_duration_seconds", map[string]string{"engine": "postgres", "outcome": "succeeded"}, func(v float64) bool { return v >= 2 }},
		{"baktainer_backup_last_success_timestamp_seconds", map[string]string{"name": w.good, "container": w.good}, func(v float64) bool {
			return time.Since(time.Unix(int64(v), 0)) < 5*time.Minute
		}},
		{"baktainer_backup_last_failure_timestamp_seconds", map[string]string{"name": w.bad}, func(v float64) bool {
			return time.Since(time.Unix(int64(v), 0)) < 5*time.Minute
		}},
		{"baktainer_backup_last_failed", map[string]string{"name": w.bad}, func(v float64) bool { return v == 1 }},
		{"baktainer_backup_last_failed", map[string]string{"name": w.good}, func(v float64) bool { return v == 0 }},
		{"baktainer_backup_size_bytes", map[string]string{"name": w.good}, func(v float64) bool { return v > 100 }},
		{"baktainer_backup_last_duration_seconds", map[string]string{"name": w.good}, func(v float64) bool { return v > 0 }},
		{"baktainer_backup_next_run_timestamp_seconds", map[string]string{"name": w.good}, func(v float64) bool { return v > float64(time.Now().Unix()) }},
		{"baktainer_backup_deadline_timestamp_seconds", map[string]string{"name": w.bad}, func(v float64) bool { return v > 0 }},
		{"baktainer_backup_archives", map[string]string{"name": w.good}, func(v float64) bool { return v == 1 }},
		{"baktainer_retention_removed_total", map[string]string{"name": w.good}, func(v float64) bool { return v >= 1 }},
		{"baktainer_targets", map[string]string{"state": "failing"}, func(v float64) bool { return v == 1 }},
		{"baktainer_targets", map[string]string{"state": "ok"}, func(v float64) bool { return v == 1 }},
		{"baktainer_target_info", map[string]string{"name": w.good, "engine": "postgres", "schedule": "@every 1h"}, func(v float64) bool { return v == 1 }},
		{"baktainer_target_invalid", map[string]string{"name": w.good}, func(v float64) bool { return v == 0 }},
		{"baktainer_volume_free_bytes", map[string]string{"destination": w.dir}, func(v float64) bool { return v > 0 }},
		{"baktainer_volume_size_bytes", map[string]string{"destination": w.dir}, func(v float64) bool { return v > 0 }},
		{"baktainer_volume_archives", map[string]string{"destination": w.dir}, func(v float64) bool { return v == 1 }},
		{"baktainer_volume_archive_bytes", map[string]string{"destination": w.dir}, func(v float64) bool { return v > 100 }},
		{"baktainer_backups_in_flight", nil, func(v float64) bool { return v >= 0 }},
		{"baktainer_backups_queued", nil, func(v float64) bool { return v >= 0 }},
		{"baktainer_docker_connected", nil, func(v float64) bool { return v == 1 }},
		{"baktainer_docker_last_sync_timestamp_seconds", nil, func(v float64) bool { return v > 0 }},
		{"baktainer_build_info", nil, func(v float64) bool { return v == 1 }},
		{"baktainer_warnings_total", nil, func(v float64) bool { return v >= 0 }},
		{"go_goroutines", nil, func(v float64) bool { return v > 0 }},
		{"process_start_time_seconds", nil, func(v float64) bool { return v > 0 }},
	} {
		v, ok := sample(m, c.name, c.labels)
		if !ok || !c.ok(v) {
			t.Errorf("%s%v = %v (present %t)", c.name, c.labels, v, ok)
		}
	}
	if _, ok := sample(m, "baktainer_backup_last_success_timestamp_seconds", map[string]string{"name": w.bad}); ok {
		t.Errorf("a last-success timestamp for %s, which never succeeded", w.bad)
	}
	if f := m["baktainer_backup_duration_seconds"]; f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("baktainer_backup_duration_seconds is not a histogram")
	}
	// Labels carry names and kinds, never an error message.
	for name, f := range m {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if strings.Contains(l.GetValue(), "password") || strings.Contains(l.GetValue(), "authentication") || len(l.GetValue()) > 200 {
					t.Errorf("%s has a label that reads like an error: %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}
