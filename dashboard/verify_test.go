package dashboard

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
)

// A badge per archive (restore-verified, test-restore failed, untested), the
// target's test-restore state, and a test-restore button.
func TestTestRestoreBadgesAndButton(t *testing.T) {
	src := fixture()
	now := src.status.Time
	shop := &src.status.Targets[2]
	passed := &agent.TestRestore{ID: "t1", Name: "shop", Outcome: agent.Succeeded, Started: now.Add(-time.Hour), Ended: now.Add(-50 * time.Minute)}
	shop.TestRestoreSchedule = "@weekly"
	shop.TestRestore = &agent.TestRestoreReport{Schedule: "@weekly", State: agent.RestorePassed, LastSuccess: passed, NextRun: now.Add(24 * time.Hour)}
	shop.RecentArchives = []agent.ArchiveSummary{
		{File: "shop-20260315T120000Z.sql.zst", Created: now.Add(-time.Hour), SizeBytes: 5000, RestoreTest: agent.RestoreFailed},
		{File: "shop-20260315T110000Z.sql.zst", Created: now.Add(-2 * time.Hour), SizeBytes: 4900, RestoreTest: agent.RestorePassed, RestoreVerified: now.Add(-50 * time.Minute)},
		{File: "shop-20260315T100000Z.sql.zst", Created: now.Add(-3 * time.Hour), SizeBytes: 4800, RestoreTest: agent.RestoreUntested},
	}
	crm := &src.status.Targets[0]
	crm.TestRestore = &agent.TestRestoreReport{Schedule: "@weekly", State: agent.RestoreUntested,
		Active: &agent.TestRestore{ID: "t2", Outcome: agent.Running}}
	d, err := New(src, false)
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, d.ServeContent, "/dashboard/targets").Body.String()
	badges := regexp.MustCompile(`<li class="archive restore-(\w+)" data-file="([^"]+)"[^>]*>\s*<span class="badge[^"]*">([^<]+)</span>`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, b := range badges {
		got = append(got, b[1]+" "+b[2]+" "+b[3])
	}
	want := []string{"failed shop-20260315T120000Z.sql.zst test-restore failed", "passed shop-20260315T110000Z.sql.zst restore-verified",
		"untested shop-20260315T100000Z.sql.zst untested"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("archive badges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	buttons := regexp.MustCompile(`<button type="button" class="test-restore" data-container="([^"]+)"( disabled)?`).FindAllStringSubmatch(body, -1)
	state := map[string]bool{}
	for _, b := range buttons {
		state[b[1]] = b[2] == ""
	}
	if len(buttons) != 3 || !state["shop-db-1"] || state["crm-db-1"] || state["typo-1"] {
		t.Errorf("test-restore buttons (enabled) = %v; want shop's only (crm has one running, typo's labels are wrong)", state)
	}
	if !regexp.MustCompile(`data-container="shop-db-1"[^>]*data-test-restore="passed"`).MatchString(body) {
		t.Error("shop's row does not carry its test-restore state")
	}
	js := get(t, d.ServeAsset, "/assets/dashboard.js").Body.String()
	if !strings.Contains(js, "/api/v1/verify") || strings.Contains(js, "/api/v1/restore") {
		t.Error("the script does not post test-restores to /api/v1/verify (or reaches for a real restore)")
	}
}
