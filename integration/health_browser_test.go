//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// chromiumPath is Debian's Chromium (scripts/ensure-browser.sh), never a browser
// a test framework downloads.
const chromiumPath = "/usr/bin/chromium"

// testOutputDir is the repository's test-output/ (git-ignored): screenshots.
func testOutputDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(filepath.Dir(file)), "test-output")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts headless Chromium with the flags for a closed network and a
// fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Debian's chromium is missing (scripts/ensure-browser.sh installs it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// The dashboard in headless Chromium, with the API token required: the page asks
// for the token (it has none of its own), then shows both targets, the failing
// one first, with trends; its run-now button queues a backup that the API shows
// succeeding and whose archive checks out.
func checkDashboardInBrowser(t *testing.T, w *healthWorld) {
	ctx := newBrowser(t)
	before := w.attempts(t, w.good)
	fail := func(what string, err error) {
		t.Helper()
		t.Fatalf("%s: %v; agent logs:\n%s", what, err, w.agent.logs.String())
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(w.agent.url+"/"), chromedp.WaitVisible(chromedp.CSS("#bt-token-form"))); err != nil {
		fail("load the dashboard", err)
	}
	shell, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		fail("read the page", err)
	}
	w.bodies["browser: the page before the token"] = shell
	if strings.Contains(shell, w.good) || strings.Contains(shell, w.bad) {
		t.Errorf("the page shows targets before the token was given")
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#bt-token"), w.token),
		chromedp.Click(chromedp.CSS(`#bt-token-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("tr.target")),
	); err != nil {
		fail("enter the token", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("tr.target")).map(r => r.dataset.state + " " + r.dataset.container).join("\n")`))
	if err != nil {
		fail("read the rows", err)
	}
	lines := strings.Split(rows, "\n")
	if len(lines) != 2 || lines[0] != "failing "+w.bad || lines[1] != "ok "+w.good {
		t.Fatalf("rows (state container) = %q; want the failing %s first, then the healthy %s", lines, w.bad, w.good)
	}

	// Run now, through the page's button.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`tr.target[data-container="`+w.good+`"] button.run-now`))); err != nil {
		fail("click run-now", err)
	}
	attemptID, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("bt-root").dataset.lastAttempt`,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || attemptID == "" {
		fail("the run-now button queued nothing", err)
	}
	var att agent.Attempt
	waitUntil(t, 60*time.Second, func() string { return "the button's backup did not succeed: " + att.Error }, func() bool {
		w.getJSON(t, "/api/v1/backups/"+attemptID, 200, &att)
		return att.Outcome == agent.Succeeded
	})
	if att.Container != w.good || att.Trigger != agent.TriggerAPI || att.SizeBytes <= 0 {
		t.Errorf("the button's attempt = %+v; want an API-triggered backup of %s", att, w.good)
	}
	if n := len(w.attempts(t, w.good)); n != len(before)+1 {
		t.Errorf("attempts of %s: %d before the click, %d after; want one more", w.good, len(before), n)
	}
	rig.Run(t, nil, "sh", "-c", `cd "$(dirname "$1")" && sha256sum -c "$(basename "$1").sha256"`, "sh", att.Archive)
	if sql := rig.Run(t, nil, rig.Tool(t, "zstd"), "-dc", att.Archive); !bytes.Contains(sql, []byte("PostgreSQL database dump complete")) {
		t.Errorf("the button's archive is not a complete dump")
	}

	// The page refreshes on its own: the new backup shows in the trend (2 points).
	if _, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
			const s = document.querySelector('tr.target[data-container="`+w.good+`"] svg.spark');
			return s && Number(s.dataset.points) >= 2 ? s.dataset.points : false })()`,
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		fail("the page did not refresh to show the new backup", err)
	}
	dom, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		fail("read the page", err)
	}
	w.bodies["browser: the page after the backup"] = dom
	// Unfold the failure's error for the screenshot.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("details").forEach(d => d.open = true), 0`)); err != nil {
		fail("open the error", err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		fail("screenshot", err)
	}
	shot := filepath.Join(testOutputDir(t), "dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if !strings.Contains(dom, "password authentication failed") || !strings.Contains(dom, "dump_tool") {
		t.Errorf("the page does not show why %s failed", w.bad)
	}
}
