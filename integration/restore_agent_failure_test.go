//go:build integration

package integration

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// cutSQLiteRows returns an SQLite snapshot with the first n rows of table
// deleted, made by the sqlite3 of container (the test host has none).
func cutSQLiteRows(t *testing.T, dc *docker.Client, container string, snapshot []byte, table string, n int) []byte {
	t.Helper()
	cut := "/tmp/cut-" + rig.RunID() + ".db"
	rig.Exec(t, dc, container, bytes.NewReader(snapshot), nil, "dd", "of="+cut, "status=none")
	rig.Exec(t, dc, container, nil, nil, "sqlite3", "-bail", cut,
		"DELETE FROM "+table+" WHERE rowid IN (SELECT rowid FROM "+table+" ORDER BY rowid LIMIT "+strconv.Itoa(n)+"); VACUUM;")
	out := []byte(rig.Exec(t, dc, container, nil, nil, "cat", cut))
	rig.Exec(t, dc, container, nil, nil, "rm", "-f", cut)
	return out
}

// TestScheduledTestRestoreOfAWrongArchive: an archive whose checksum and
// sidecars are consistent but whose content is wrong (one table's rows cut)
// fails its scheduled test-restore naming the check; the failure is notified,
// counted in the metrics and shown in /status and the history; POST
// /api/v1/verify (token and origin rules) tests it again; and retention with a
// count of 1 keeps the last restore-verified archive beside the newest.
func TestScheduledTestRestoreOfAWrongArchive(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	watch := watchScratch(t, dc)
	spec, _ := engExample(t, engines.SQLite{}, rig.SQLiteImage, "", nil, map[string]string{labels.KeepCount: "1"})
	spec.Name = "verify-cut"
	spec.Labels[rig.RunLabel], spec.Labels[labels.OnStart], spec.Labels[labels.Schedule] = run, "true", "@every 1h"
	src := rig.Start(t, dc, spec)
	rig.Exec(t, dc, src, nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, src, sqliteDB, sqliteSeedSQL)
	rc, hook := startReceiver(t)
	token := "tok-" + rig.RunID() + rig.RunID() + rig.RunID()
	began := time.Now()
	ta := startAgent(t, dc, run, map[string]string{"BT_VERIFY_CRON": "@every 2s", "BT_VERIFY_TIMEOUT": "2m",
		"BT_API_TOKEN": token, "BT_WEBHOOK_URL": hook}, nil)

	good := ta.testRestoreOf(t, src, agent.Succeeded, began, 3*time.Minute)
	if !good.Recorded {
		t.Fatalf("the passed test-restore was not recorded: %+v", good)
	}
	meta, err := store.ReadMetaFile(good.Archive)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // archive names have a second's resolution: the wrong one is the newest
	cut := cutSQLiteRows(t, dc, src, unpack(t, good.Archive), "bulk", 1000)
	placed := time.Now()
	wrong := repack(t, ta.dir, meta, engines.SQLite{}.Extension(), cut)
	if out, errOut, code := runBaktainer(t, nil, "verify", "--deep", wrong); code != 0 {
		t.Fatalf("verify --deep of the wrong archive: exit %d\n%s%s", code, out, errOut)
	}

	bad := ta.testRestoreOf(t, src, agent.Failed, placed, 2*time.Minute)
	failedCheck := "rows of " + sqliteDB + ".bulk"
	checkFailedTestRestore(t, ta, token, bad, wrong, failedCheck)
	waitUntil(t, 30*time.Second, func() string { return "no restore_test.failed notification naming the check" }, func() bool {
		for _, e := range rc.events("restore_test.failed") {
			if e["name"] == src && e["archive"] == wrong && e["check"] != "" && strings.Contains(e["message"].(string), failedCheck) {
				return true
			}
		}
		return false
	})
	if n, ok := metricOf(t, ta, token, "baktainer_restore_test_failures_total", src); !ok || n < 1 {
		t.Errorf("baktainer_restore_test_failures_total{name=%q} = %v, %v; want at least 1", src, n, ok)
	}

	checkFailedBadges(t, ta, token, src)
	checkPostVerify(t, ta, token, src, wrong)
	checkRetentionKeepsVerified(t, ta, token, src, good.Archive, wrong)
	ta.stop()
	watch.check(t, ta.ScratchOwner(), 3)
}

// checkFailedTestRestore: the failed test-restore tested the wrong archive and
// names the check that failed; /status and the history say so; the wrong
// archive's metadata has no restore verification.
func checkFailedTestRestore(t *testing.T, ta *testAgent, token string, bad agent.TestRestore, wrong, check string) {
	t.Helper()
	t.Logf("failed test-restore: check %q: %s", bad.FailedCheck, bad.Error)
	c, ok := checkOf(bad, check)
	if bad.Archive != wrong || bad.Trigger != agent.TriggerSchedule || !ok || c.Passed || c.Error == "" {
		t.Errorf("the wrong archive's test-restore %+v; check %q = %+v", bad, check, c)
	}
	if bad.FailedCheck == "" || !strings.Contains(bad.Error, bad.FailedCheck) || !strings.Contains(bad.Error+bad.FailedCheck, check) {
		t.Errorf("the failure does not name the check %q: failed check %q, error %q", check, bad.FailedCheck, bad.Error)
	}
	meta, err := store.ReadMetaFile(wrong)
	if err != nil || meta.RestoreVerified != nil {
		t.Errorf("the wrong archive's metadata: restore verification %+v, %v", meta.RestoreVerified, err)
	}
	var st agent.Status
	getWith(t, ta.url+"/status", token, &st)
	for _, r := range st.Targets {
		if r.Container != bad.Container {
			continue
		}
		if r.TestRestore == nil || r.TestRestore.LastFailure == nil || r.TestRestore.LastFailure.FailedCheck == "" {
			t.Errorf("/status: %s's test-restores: %+v", bad.Container, r.TestRestore)
		}
		if len(r.RecentArchives) < 2 || r.RecentArchives[0].Path != wrong || r.RecentArchives[0].RestoreTest != agent.RestoreFailed ||
			r.RecentArchives[1].RestoreTest != agent.RestorePassed {
			t.Errorf("/status: %s's archives: %+v", bad.Container, r.RecentArchives)
		}
	}
	var one agent.TestRestore
	getWith(t, ta.url+"/api/v1/verify/"+bad.ID, token, &one)
	if one.Outcome != agent.Failed || one.FailedCheck != bad.FailedCheck {
		t.Errorf("the history has %+v", one)
	}
}

// checkPostVerify: POST /api/v1/verify needs the token and refuses a foreign
// origin, as run-now does; with them it queues a test-restore that fails again.
func checkPostVerify(t *testing.T, ta *testAgent, token, name, wrong string) {
	t.Helper()
	body := agent.TestRestoreRequest{Container: name}
	if code := api(t, http.MethodPost, ta.url+"/api/v1/verify", "", body, nil); code != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/verify without the token: HTTP %d, want 401", code)
	}
	if code := postFrom(t, ta.url+"/api/v1/verify", token, "https://evil.example", `{"container":"`+name+`"}`); code != http.StatusForbidden {
		t.Errorf("POST /api/v1/verify from a foreign origin: HTTP %d, want 403", code)
	}
	var queued agent.TestRestore
	waitUntil(t, time.Minute, func() string { return "POST /api/v1/verify queued nothing" }, func() bool {
		return api(t, http.MethodPost, ta.url+"/api/v1/verify", token, body, &queued) == http.StatusAccepted
	})
	var tr agent.TestRestore
	waitUntil(t, 2*time.Minute, func() string { return "the API's test-restore did not end" }, func() bool {
		getWith(t, ta.url+"/api/v1/verify/"+queued.ID, token, &tr)
		return tr.Outcome.Final()
	})
	if tr.Trigger != agent.TriggerAPI || tr.Outcome != agent.Failed || tr.Archive != wrong || tr.FailedCheck == "" {
		t.Errorf("the API's test-restore: %+v", tr)
	}
}

// postFrom POSTs body with the token and a browser's Origin header.
func postFrom(t *testing.T, url, token, origin, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkRetentionKeepsVerified: a backup now, under a count of 1, keeps itself
// and the restore-verified archive, and prunes the wrong one.
func checkRetentionKeepsVerified(t *testing.T, ta *testAgent, token, name, verified, wrong string) {
	t.Helper()
	var att agent.Attempt
	if code := api(t, http.MethodPost, ta.url+"/api/v1/backups", token, agent.BackupRequest{Container: name}, &att); code != http.StatusAccepted {
		t.Fatalf("run-now: HTTP %d", code)
	}
	waitUntil(t, 2*time.Minute, func() string { return "the run-now backup did not end" }, func() bool {
		getWith(t, ta.url+"/api/v1/backups/"+att.ID, token, &att)
		return att.Outcome.Final()
	})
	if att.Outcome != agent.Succeeded {
		t.Fatalf("the run-now backup: %+v", att)
	}
	for path, want := range map[string]bool{verified: true, att.Archive: true, wrong: false} {
		_, err := os.Stat(path)
		if kept := err == nil; kept != want {
			t.Errorf("retention count=1: %s kept %v, want %v (pruned %d)", path, kept, want, att.Pruned)
		}
	}
	if att.Pruned != 1 {
		t.Errorf("retention count=1 pruned %d archives, want 1 (the wrong one)", att.Pruned)
	}
}

// checkFailedBadges: in headless Chromium, the target's test-restores show
// failed, its newest archive "test-restore failed" and the one before it
// "restore-verified".
func checkFailedBadges(t *testing.T, ta *testAgent, token, container string) {
	t.Helper()
	ctx := newBrowser(t)
	row := `tr.target[data-container="` + container + `"]`
	if err := chromedp.Do(ctx, chromedp.Navigate(ta.url+"/"), chromedp.WaitVisible(chromedp.CSS("#bt-token-form")),
		chromedp.SendKeys(chromedp.CSS("#bt-token"), token),
		chromedp.Click(chromedp.CSS(`#bt-token-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
		t.Fatalf("open the dashboard: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const r = document.querySelector('`+row+`');
		return r.dataset.testRestore + ": " + Array.from(r.querySelectorAll("li.archive .badge")).map(b => b.textContent.trim()).join(", "); })()`))
	if err != nil {
		t.Fatalf("read the badges: %v", err)
	}
	if want := "failed: test-restore failed, restore-verified"; got != want {
		t.Errorf("the dashboard shows %q, want %q", got, want)
	}
}
