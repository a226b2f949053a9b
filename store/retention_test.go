package store

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// series returns archives of name "db", oldest first: one every step, count of
// them, the last at last, each size bytes.
func series(last time.Time, step time.Duration, count int, size int64) []Archive {
	out := make([]Archive, count)
	for i := range out {
		created := last.Add(-time.Duration(count-1-i) * step)
		path := archivePath("/b", "db", created, ".sql.zst")
		out[i] = Archive{Path: path, Meta: Meta{Name: "db", Created: created, Size: size}}
	}
	return out
}

var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func TestPlanGolden(t *testing.T) {
	daily := series(now.Add(-time.Hour), 24*time.Hour, 10, 1<<20)
	twicePerDay := series(now.Add(-time.Hour), 12*time.Hour, 20, 1<<20)
	halfYear := series(now.Add(-time.Hour), 24*time.Hour, 200, 1<<20)
	yearEnd := series(time.Date(2026, 1, 6, 3, 0, 0, 0, time.UTC), 24*time.Hour, 16, 1<<20)
	stale := series(now.Add(-30*24*time.Hour), 24*time.Hour, 5, 1<<20)
	big := series(now.Add(-time.Hour), 24*time.Hour, 8, 300<<20)
	newestOf := func(a []Archive, back int) string { return a[len(a)-1-back].Path }

	for _, tc := range []struct {
		name     string
		archives []Archive
		policy   Policy
		facts    Facts
	}{
		{"empty", nil, Policy{MaxCount: 3}, Facts{}},
		{"no-policy", daily, Policy{}, Facts{}},
		{"count-3", daily, Policy{MaxCount: 3}, Facts{NewestVerified: newestOf(daily, 0)}},
		{"age-4-days", daily, Policy{MaxAge: 4 * day}, Facts{NewestVerified: newestOf(daily, 0)}},
		{"count-5-and-age-3-days", daily, Policy{MaxCount: 5, MaxAge: 3 * day}, Facts{NewestVerified: newestOf(daily, 0)}},
		{"count-3-age-30-days", daily, Policy{MaxCount: 3, MaxAge: 30 * day}, Facts{NewestVerified: newestOf(daily, 0)}},
		{"daily-4-of-twice-a-day", twicePerDay, Policy{KeepDaily: 4}, Facts{NewestVerified: newestOf(twicePerDay, 0)}},
		{"gfs-7-4-6", halfYear, Policy{KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 6}, Facts{NewestVerified: newestOf(halfYear, 0)}},
		{"gfs-weekly-across-new-year", yearEnd, Policy{KeepWeekly: 3}, Facts{NewestVerified: newestOf(yearEnd, 0)}},
		{"count-2-plus-monthly-3", halfYear[150:], Policy{MaxCount: 2, KeepMonthly: 3}, Facts{NewestVerified: newestOf(halfYear, 0)}},
		{"newest-fails-verify", daily, Policy{MaxCount: 1}, Facts{NewestVerified: newestOf(daily, 1)}},
		{"none-verifies", daily[:4], Policy{MaxCount: 1}, Facts{}},
		{"all-older-than-max-age", stale, Policy{MaxAge: 7 * day}, Facts{NewestVerified: newestOf(stale, 0)}},
		{"min-free-space", big, Policy{MaxCount: 6, MinFreeBytes: 2 << 30}, Facts{FreeBytes: 1 << 30, NewestVerified: newestOf(big, 0)}},
		{"min-free-space-overrides-gfs", big, Policy{KeepDaily: 8, MinFreeBytes: 3 << 30}, Facts{FreeBytes: 1 << 30, NewestVerified: newestOf(big, 0)}},
		{"min-free-space-cannot-be-met", big[:3], Policy{MinFreeBytes: 100 << 30}, Facts{FreeBytes: 1 << 30, NewestVerified: newestOf(big[:3], 0)}},
		{"min-free-space-already-met", big, Policy{MinFreeBytes: 1 << 30}, Facts{FreeBytes: 5 << 30, NewestVerified: newestOf(big, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decisions := Plan(tc.archives, tc.policy, now, tc.facts)
			if len(decisions) != len(tc.archives) {
				t.Fatalf("%d decisions for %d archives", len(decisions), len(tc.archives))
			}
			for i, d := range decisions {
				if d.Archive.Path != tc.archives[i].Path {
					t.Fatalf("decision %d is about %s, want %s (same order as the input)", i, d.Archive.Path, tc.archives[i].Path)
				}
				if d.Reason == "" {
					t.Errorf("%s: no reason given", d.Archive.Path)
				}
				if d.Archive.Path == tc.facts.NewestVerified && !d.Keep {
					t.Errorf("the newest verified archive %s is removed", d.Archive.Path)
				}
			}
			golden(t, filepath.Join("testdata", "retention", tc.name+".golden"), render(tc.policy, tc.facts, decisions))
		})
	}
}

func render(p Policy, f Facts, decisions []Decision) string {
	var b strings.Builder
	verified := "none"
	if f.NewestVerified != "" {
		verified = filepath.Base(f.NewestVerified)
	}
	fmt.Fprintf(&b, "now %s; policy: %s; free %s; newest verified: %s\n", now.Format(time.RFC3339), p, formatBytes(f.FreeBytes), verified)
	for _, d := range decisions {
		verdict := "remove"
		if d.Keep {
			verdict = "keep  "
		}
		fmt.Fprintf(&b, "%s %s  %s\n", verdict, filepath.Base(d.Archive.Path), d.Reason)
	}
	return b.String()
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./store -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (rerun with -update if the change is intended):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestWithOverrides(t *testing.T) {
	n := func(v int) *int { return &v }
	age := func(d time.Duration) *time.Duration { return &d }
	base := Policy{MaxAge: 30 * day, MaxCount: 10, KeepDaily: 7, MinFreeBytes: 1 << 30}
	for _, tc := range []struct {
		name string
		o    Overrides
		want Policy
	}{
		{"none", Overrides{}, base},
		{"age and count", Overrides{MaxAge: age(3 * day), MaxCount: n(2)}, Policy{MaxAge: 3 * day, MaxCount: 2, KeepDaily: 7, MinFreeBytes: 1 << 30}},
		{"zero turns a rule off", Overrides{MaxAge: age(0), KeepDaily: n(0)}, Policy{MaxCount: 10, MinFreeBytes: 1 << 30}},
		{"gfs", Overrides{KeepWeekly: n(4), KeepMonthly: n(12)}, Policy{MaxAge: 30 * day, MaxCount: 10, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12, MinFreeBytes: 1 << 30}},
	} {
		if got := base.WithOverrides(tc.o); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPlanIgnoresInputOrder(t *testing.T) {
	archives := series(now, 24*time.Hour, 40, 1)
	p := Policy{MaxCount: 3, KeepWeekly: 2, KeepMonthly: 2}
	want := map[string]Decision{}
	for _, d := range Plan(archives, p, now, Facts{}) {
		want[d.Archive.Path] = d
	}
	shuffled := slices.Clone(archives)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i, d := range Plan(shuffled, p, now, Facts{}) {
		if d.Archive.Path != shuffled[i].Path {
			t.Fatalf("decision %d is about %s, want %s", i, d.Archive.Path, shuffled[i].Path)
		}
		if w := want[d.Archive.Path]; w.Keep != d.Keep || w.Reason != d.Reason {
			t.Errorf("%s: %v %q; sorted input gave %v %q", d.Archive.Path, d.Keep, d.Reason, w.Keep, w.Reason)
		}
	}
}
