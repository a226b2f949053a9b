package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
)

type fakeSource struct {
	status  agent.Status
	health  agent.Health
	history map[string][]agent.Attempt // newest first
}

func (f fakeSource) Status(context.Context) agent.Status { return f.status }
func (f fakeSource) Health(context.Context) agent.Health { return f.health }
func (f fakeSource) RecentAttempts(name string, limit int) []agent.Attempt {
	h := f.history[name]
	if limit > 0 && len(h) > limit {
		h = h[:limit]
	}
	return h
}

func fixture() fakeSource {
	now := time.Now().UTC()
	var shop []agent.Attempt
	for i := range 5 { // newest first, growing sizes
		start := now.Add(-time.Duration(i+1) * time.Hour)
		shop = append(shop, agent.Attempt{Name: "shop", Outcome: agent.Succeeded, Queued: start, Started: start,
			Ended: start.Add(time.Duration(10-i) * time.Second), SizeBytes: int64(5000 - 100*i)})
	}
	shop = append(shop[:2], append([]agent.Attempt{{Name: "shop", Outcome: agent.Failed, Queued: now.Add(-150 * time.Minute)}}, shop[2:]...)...)
	failure := &agent.Attempt{Name: "crm", Outcome: agent.Failed, Queued: now.Add(-time.Minute), Started: now.Add(-time.Minute),
		Error: `pg_dump: password authentication failed for user "app" <script>alert(1)</script>`, ErrorKind: agent.KindDumpTool}
	return fakeSource{
		status: agent.Status{SchemaVersion: 1, Time: now,
			Agent: agent.AgentStatus{Version: "1.2.3", Host: "node-1", UptimeSeconds: 3700, Threads: 4, DefaultSchedule: "@daily", TimeZone: "UTC",
				Docker: agent.DockerStatus{Reachable: true, EventsConnected: true, APIVersion: "1.41", DaemonVersion: "20.10.24"}},
			Targets: []agent.TargetReport{
				{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "crm", Container: "crm-db-1", Engine: "postgres",
					Schedule: "@daily", NextRun: now.Add(time.Hour)}, LastFailure: failure}, State: agent.StateFailing},
				{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "typo", Container: "typo-1",
					Problem: `label baktainer.schedule="x": not a cron`}}, State: agent.StateInvalid},
				{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "shop", Container: "shop-db-1", Engine: "postgres",
					Schedule: "@hourly", NextRun: now.Add(30 * time.Minute)}, LastSuccess: &shop[0]},
					State: agent.StateOK, LastSizeBytes: 5000, Archives: 5, ArchiveBytes: 24000},
			},
			Destinations: []agent.DestinationStatus{{Root: "/backups", Archives: 5, ArchiveBytes: 24000, FreeBytes: 1 << 30, TotalBytes: 1 << 34}},
		},
		health:  agent.Health{Status: "ok"},
		history: map[string][]agent.Attempt{"shop": shop},
	}
}

func get(t *testing.T, h http.HandlerFunc, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec
}

func TestPageWithoutTokenRendersTargetsFailuresFirst(t *testing.T) {
	d, err := New(fixture(), false)
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, d.ServePage, "/")
	body := rec.Body.String()
	rows := regexp.MustCompile(`<tr class="target state-(\w+)" data-name="(\w+)"`).FindAllStringSubmatch(body, -1)
	var order []string
	for _, r := range rows {
		order = append(order, r[1]+":"+r[2])
	}
	if strings.Join(order, " ") != "failing:crm invalid:typo ok:shop" {
		t.Errorf("rows = %v; want the source's order (failures first)", order)
	}
	for _, want := range []string{
		`data-token-required="false"`,
		`data-points="5"`, // five successes in the trend, the failure skipped
		`<button type="button" class="run-now" data-container="typo-1" disabled>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`, // escaped by html/template
		`/assets/dashboard.js`,
		`1h01m`, // uptime
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("an error message was not escaped")
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script>") {
		t.Errorf("CSP %q; the page must work without inline scripts", csp)
	}
	for _, external := range []string{"http://", "https://", "//cdn"} {
		if strings.Contains(body, external) {
			t.Errorf("page references %q: it must work offline", external)
		}
	}
}

func TestPageWithTokenCarriesNoData(t *testing.T) {
	d, err := New(fixture(), true)
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, d.ServePage, "/").Body.String()
	if !strings.Contains(body, `data-token-required="true"`) || !strings.Contains(body, `id="bt-token"`) {
		t.Errorf("page does not ask for the token:\n%s", body)
	}
	for _, name := range []string{"crm", "shop-db-1", "/backups", "node-1"} {
		if strings.Contains(body, name) {
			t.Errorf("page shows %q without the token", name)
		}
	}
	content := get(t, d.ServeContent, "/dashboard/targets").Body.String()
	if !strings.Contains(content, `data-name="crm"`) || strings.Contains(content, "<html") {
		t.Errorf("content fragment:\n%s", content)
	}
}

func TestAssetsAreEmbedded(t *testing.T) {
	d, err := New(fixture(), false)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/assets/dashboard.js":  "sessionStorage",
		"/assets/dashboard.css": "svg.spark",
		"/assets/favicon.svg":   "<svg",
	} {
		if body := get(t, d.ServeAsset, path).Body.String(); !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
	js := get(t, d.ServeAsset, "/assets/dashboard.js").Body.String()
	if strings.Contains(js, "localStorage") {
		t.Error("the token must live in sessionStorage only")
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		points string
	}{
		{nil, ""},
		{[]float64{7}, "60.0,14.0"},
		{[]float64{1, 1, 1}, "3.0,14.0 60.0,14.0 117.0,14.0"},
		{[]float64{0, 10, 5}, "3.0,25.0 60.0,3.0 117.0,14.0"},
	} {
		s := newSparkline(tc.values, "t")
		if s.Points != tc.points || s.N != len(tc.values) || s.Empty() != (len(tc.values) == 0) {
			t.Errorf("newSparkline(%v) = %q (n %d), want %q", tc.values, s.Points, s.N, tc.points)
		}
	}
}

func TestHumanUnits(t *testing.T) {
	now := time.Now()
	for d, want := range map[time.Duration]string{-90 * time.Second: "1m ago", 3 * time.Hour: "in 3h00m", -50 * time.Hour: "2d02h ago"} {
		if got := relative(now.Add(d), now); got != want {
			t.Errorf("relative(%s) = %q, want %q", d, got, want)
		}
	}
	if relative(time.Time{}, now) != "never" {
		t.Error("zero time is never")
	}
}

// A target whose latest copy off the host failed shows it: its state, the
// failure with its (escaped) error, the archives still without a copy and
// where the copies go, without the scheme (the page links nowhere).
func TestPageShowsTheOffsiteCopies(t *testing.T) {
	src := fixture()
	now := src.status.Time
	shop := &src.status.Targets[2]
	shop.State = agent.StateOffsiteFailing
	shop.Offsite = &agent.OffsiteReport{Remote: "https://s3.example.com/backups/prod", Failing: true, Missing: 2,
		LastSuccess: now.Add(-26 * time.Hour), LastFailure: now.Add(-time.Hour), LastError: "put: connection refused <b>x</b>"}
	d, err := New(src, false)
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, d.ServePage, "/").Body.String()
	for _, want := range []string{
		`<tr class="target state-offsite_failing" data-name="shop"`,
		`<span class="badge state-offsite_failing">1 offsite_failing</span>`,
		`data-offsite="failing"`, `off-host copy FAILED`, `put: connection refused &lt;b&gt;x&lt;/b&gt;`,
		`2 archive(s) without a copy`, `to s3.example.com/backups/prod`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "https://") {
		t.Error("the page shows the remote's URL")
	}
}
