//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// verifyTarget is a database container of every engine that runs here, seeded,
// and a check its test-restore must pass.
type verifyTarget struct {
	container, name string
	check, detail   string // a passed check and its detail (rows, keys)
}

// startVerifyTargets starts Postgres (one database, and all), MariaDB, MySQL
// (client names, all databases), SQLite and Redis, labelled for the agent of run:
// a backup at the start, then hourly.
func startVerifyTargets(t *testing.T, dc *docker.Client, run string) []verifyTarget {
	t.Helper()
	mine := func(spec rig.ContainerSpec) rig.ContainerSpec {
		spec.Labels[rig.RunLabel] = run
		spec.Labels[labels.OnStart] = "true"
		spec.Labels[labels.Schedule] = "@every 1h"
		return spec
	}
	var out []verifyTarget
	add := func(container, check, detail string) {
		out = append(out, verifyTarget{container: container, name: container, check: check, detail: detail})
	}

	pgSecret := engPassword("verify-pg")
	spec, _ := engExample(t, engines.Postgres{}, rig.PostgresImage, pgSecret, []string{pgScram}, nil)
	spec.Name = "verify-pg"
	pg := rig.Start(t, dc, mine(spec))
	spec, _ = engExample(t, engines.Postgres{}, rig.PostgresImage, engPassword("verify-pgall"), nil,
		map[string]string{labels.All: "true", labels.Database: ""})
	spec.Name = "verify-pgall"
	pgAll := rig.Start(t, dc, mine(spec))
	mariaSecret := engPassword("verify-maria")
	spec, _ = engExample(t, engines.MariaDB{}, rig.MariaDBImage, mariaSecret, nil, nil)
	spec.Name = "verify-maria"
	maria := rig.Start(t, dc, mine(spec))
	mysqlSecret := engPassword("verify-mysql")
	spec, _ = engExample(t, engines.MySQL{}, rig.MySQLImage, mysqlSecret, nil, map[string]string{labels.All: "true", labels.Database: ""})
	spec.Name = "verify-mysql"
	mysql := rig.Start(t, dc, mine(spec))
	spec, _ = engExample(t, engines.SQLite{}, rig.SQLiteImage, "", nil, nil)
	spec.Name = "verify-sqlite"
	sqlite := rig.Start(t, dc, mine(spec))
	redisSecret := engPassword("verify-redis")
	spec, _ = engExample(t, engines.Redis{}, rig.RedisImage, "", []string{"REDIS_PASSWORD=" + redisSecret}, nil)
	spec.Name = "verify-redis"
	spec.Labels[labels.VerifySchedule] = "@every 7s" // its own schedule, over BT_VERIFY_CRON
	redis := rig.Start(t, dc, mine(spec))

	rig.WaitFor(t, dc, pg, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Psql(t, dc, pg, "postgres", "app", seedSQL, "PGPASSWORD="+pgSecret)
	add(pg, "rows of app.public.people", "12000")
	rig.WaitFor(t, dc, pgAll, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Psql(t, dc, pgAll, "postgres", "postgres", "CREATE DATABASE other;")
	rig.Psql(t, dc, pgAll, "postgres", "other", `CREATE TABLE notes (id int); INSERT INTO notes SELECT generate_series(1, 77);`)
	add(pgAll, "rows of other.public.notes", "77")
	rig.WaitMariaDB(t, dc, maria)
	rig.MySQL(t, dc, maria, "root", mariaSecret, "app", mysqlSeedSQL)
	add(maria, "rows of app.bulk", "50000")
	rig.WaitMariaDB(t, dc, mysql)
	rig.MySQL(t, dc, mysql, "root", mysqlSecret, "", `CREATE DATABASE other; CREATE TABLE other.notes (id INT); INSERT INTO other.notes VALUES (1),(2),(3);`)
	add(mysql, "rows of other.notes", "3")
	rig.Exec(t, dc, sqlite, nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, sqlite, sqliteDB, sqliteSeedSQL)
	add(sqlite, "sqlite PRAGMA integrity_check", "ok")
	rig.WaitRedis(t, dc, redis)
	rig.RedisCLI(t, dc, redis, redisSecret, nil, "EVAL", redisSeedScript, "0", "300", "db0")
	add(redis, "keys of database 0", "308")
	return out
}

// TestScheduledTestRestoresOfEveryEngine: the agent test-restores the newest
// archive of a Postgres (one database, and all), MariaDB, MySQL, SQLite and
// Redis target on its schedule, into scratch containers that never had a
// network and are gone afterwards; the metadata, the history, /status, the
// metrics, the notifications and the dashboard (in Chromium) show each passed,
// and the dashboard's button starts one more.
func TestScheduledTestRestoresOfEveryEngine(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	watch := watchScratch(t, dc)
	targets := startVerifyTargets(t, dc, run)
	// Test-restores off by label: tested only when asked (the dashboard's button).
	spec, _ := engExample(t, engines.SQLite{}, rig.SQLiteImage, "", nil, map[string]string{labels.VerifySchedule: "off"})
	spec.Name, spec.Labels[rig.RunLabel], spec.Labels[labels.OnStart] = "verify-manual", run, "true"
	manual := rig.Start(t, dc, spec)
	rig.Exec(t, dc, manual, nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, manual, sqliteDB, sqliteSeedSQL)
	rc, hook := startReceiver(t)
	token := "tok-" + rig.RunID() + rig.RunID() + rig.RunID()
	began := time.Now()
	ta := startAgent(t, dc, run, map[string]string{"BT_VERIFY_CRON": "@every 5s", "BT_VERIFY_TIMEOUT": "5m",
		"BT_API_TOKEN": token, "BT_WEBHOOK_URL": hook, "BT_NOTIFY_SUCCESS": "true"}, nil)

	passed := map[string]agent.TestRestore{}
	for _, tg := range targets {
		tr := ta.testRestoreOf(t, tg.name, agent.Succeeded, began, 8*time.Minute)
		passed[tg.name] = tr
		t.Logf("%s: %s passed %d checks in %s (image %s, scratch %s)", tg.name, filepath.Base(tr.Archive), len(tr.Checks),
			tr.Duration().Round(time.Second), tr.Image, tr.Scratch)
		checkPassedTestRestore(t, ta, token, tg, tr)
	}
	checkTestRestoreStatus(t, ta, token, targets)
	checkTestRestoreMetrics(t, ta, token, targets)
	for _, tg := range targets {
		found := false
		for _, e := range rc.events("restore_test.succeeded") {
			found = found || e["name"] == tg.name
		}
		if !found {
			t.Errorf("no restore_test.succeeded notification of %s", tg.name)
		}
	}
	if st, _ := ta.target(manual); st.TestRestoreSchedule != "" || len(ta.TestRestores(manual, 0)) != 0 {
		t.Errorf("test-restores off by label: schedule %q, %d test-restores", st.TestRestoreSchedule, len(ta.TestRestores(manual, 0)))
	}
	checkTestRestoreDashboard(t, ta, token, targets, manual)

	ta.stop() // a running test-restore is cancelled, its scratch container removed
	watch.check(t, ta.ScratchOwner(), len(targets)+1)
}

// checkPassedTestRestore: the test-restore ran the engine's checks, including
// the scratch container's isolation, and its result is sealed into the metadata.
func checkPassedTestRestore(t *testing.T, ta *testAgent, token string, tg verifyTarget, tr agent.TestRestore) {
	t.Helper()
	if c, ok := checkOf(tr, tg.check); !ok || !c.Passed || c.Detail != tg.detail {
		t.Errorf("%s: check %q = %+v, want passed with %q; checks %+v", tg.name, tg.check, c, tg.detail, tr.Checks)
	}
	if c, ok := checkOf(tr, "scratch container has no network"); !ok || !c.Passed {
		t.Errorf("%s: isolation check %+v", tg.name, c)
	}
	if !tr.Recorded || tr.Counts == nil || tr.Trigger != agent.TriggerSchedule {
		t.Errorf("%s: test-restore %+v", tg.name, tr)
	}
	meta, err := store.ReadMetaFile(tr.Archive)
	if err != nil {
		t.Fatal(err)
	}
	v := meta.RestoreVerified
	if v == nil || v.SHA256 != meta.SHA256 || v.Seal == "" || v.Checks != len(tr.Checks) || v.Counts != *tr.Counts {
		t.Errorf("%s: the metadata's restore verification %+v, the test-restore %+v", tg.name, v, tr)
	}
	if _, err := store.Verify(context.Background(), tr.Archive); err != nil {
		t.Errorf("%s: the archive no longer verifies after its .json was rewritten: %v", tg.name, err)
	}
	var listed []agent.TestRestore
	getWith(t, ta.url+"/api/v1/verify?name="+tg.name, token, &listed)
	found := false
	for _, l := range listed {
		found = found || (l.ID == tr.ID && l.Outcome == agent.Succeeded)
	}
	var one agent.TestRestore
	getWith(t, ta.url+"/api/v1/verify/"+tr.ID, token, &one)
	if !found || one.Archive != tr.Archive {
		t.Errorf("%s: the history (GET /api/v1/verify) does not have %s: %+v, %+v", tg.name, tr.ID, listed, one)
	}
}

// checkTestRestoreStatus: /status shows each target's test-restores passed, and
// its newest archive restore-verified.
func checkTestRestoreStatus(t *testing.T, ta *testAgent, token string, targets []verifyTarget) {
	t.Helper()
	var st agent.Status
	getWith(t, ta.url+"/status", token, &st)
	for _, tg := range targets {
		var r *agent.TargetReport
		for i := range st.Targets {
			if st.Targets[i].Container == tg.container {
				r = &st.Targets[i]
			}
		}
		switch {
		case r == nil:
			t.Errorf("/status has no target %s", tg.container)
		case r.TestRestore == nil || r.TestRestore.LastSuccess == nil || r.TestRestoreSchedule == "":
			t.Errorf("/status: %s's test-restores: %+v", tg.name, r.TestRestore)
		case len(r.RecentArchives) == 0 || r.RecentArchives[0].RestoreTest != agent.RestorePassed:
			t.Errorf("/status: %s's newest archive: %+v", tg.name, r.RecentArchives)
		}
	}
}

// checkTestRestoreMetrics: each target has its last passed test-restore's time
// and no failures.
func checkTestRestoreMetrics(t *testing.T, ta *testAgent, token string, targets []verifyTarget) {
	t.Helper()
	families := scrape(t, ta, token)
	for _, tg := range targets {
		when, ok := sample(families, "baktainer_restore_test_last_success_timestamp_seconds", map[string]string{"name": tg.name})
		if !ok || time.Since(time.Unix(int64(when), 0)) > 15*time.Minute {
			t.Errorf("%s: baktainer_restore_test_last_success_timestamp_seconds = %v, %v", tg.name, when, ok)
		}
		if n, ok := sample(families, "baktainer_restore_test_failures_total", map[string]string{"name": tg.name}); !ok || n != 0 {
			t.Errorf("%s: baktainer_restore_test_failures_total = %v, %v; want 0", tg.name, n, ok)
		}
	}
}

// scrape reads the agent's /metrics.
func scrape(t *testing.T, ta *testAgent, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ta.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// metricOf is the value of metric{name=name} on the agent's /metrics.
func metricOf(t *testing.T, ta *testAgent, token, metric, name string) (float64, bool) {
	t.Helper()
	return sample(scrape(t, ta, token), metric, map[string]string{"name": name})
}

// checkTestRestoreDashboard: in headless Chromium, every target's newest archive
// carries the restore-verified badge; the test-restore button of one starts a
// test-restore that the API shows passing.
func checkTestRestoreDashboard(t *testing.T, ta *testAgent, token string, targets []verifyTarget, press string) {
	t.Helper()
	ctx := newBrowser(t)
	fail := func(what string, err error) { t.Helper(); t.Fatalf("%s: %v", what, err) }
	if err := chromedp.Do(ctx, chromedp.Navigate(ta.url+"/"), chromedp.WaitVisible(chromedp.CSS("#bt-token-form")),
		chromedp.SendKeys(chromedp.CSS("#bt-token"), token),
		chromedp.Click(chromedp.CSS(`#bt-token-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("tr.target"))); err != nil {
		fail("open the dashboard", err)
	}
	badges, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("tr.target")).map(r =>
		r.dataset.container + " " + r.dataset.testRestore + " " +
		((r.querySelector("li.archive .badge") || {}).textContent || "none")).join("\n")`))
	if err != nil {
		fail("read the badges", err)
	}
	for _, tg := range targets {
		if !strings.Contains(badges, tg.container+" passed restore-verified") {
			t.Errorf("the dashboard does not show %s's newest archive restore-verified:\n%s", tg.container, badges)
		}
	}
	since := time.Now()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.test-restore[data-container="`+press+`"]`))); err != nil {
		fail("click test-restore", err)
	}
	id, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("bt-root").dataset.lastTestRestore`,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || id == "" {
		fail("the test-restore button queued nothing", err)
	}
	var tr agent.TestRestore
	waitUntil(t, 5*time.Minute, func() string { return fmt.Sprintf("the button's test-restore: %+v", tr) }, func() bool {
		getWith(t, ta.url+"/api/v1/verify/"+id, token, &tr)
		return tr.Outcome.Final()
	})
	if tr.Outcome != agent.Succeeded || tr.Trigger != agent.TriggerAPI || tr.Container != press || tr.Queued.Before(since) {
		t.Errorf("the button's test-restore = %+v", tr)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		shot := filepath.Join(testOutputDir(t), "dashboard-test-restores.png")
		_ = os.WriteFile(shot, png, 0o644)
		t.Logf("screenshot: %s", shot)
	}
}
