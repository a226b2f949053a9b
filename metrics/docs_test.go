package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/agent"
)

// registered returns the baktainer metric families a busy agent exposes.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	src := fixture()
	src.targets[1].TestRestore = &agent.TestRestoreReport{LastSuccess: &agent.TestRestore{Ended: t0}}
	m := New(src)
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "shop", TestRestoreSchedule: "@weekly"}})
	m.BackupFinished(*src.targets[0].LastFailure)
	ok := *src.targets[1].LastSuccess
	ok.Pruned = 1
	m.BackupFinished(ok)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), namespace+"_") {
			names[f.GetName()] = true
		}
	}
	return names
}

var metricName = regexp.MustCompile(`\bbaktainer_[a-z_]+`)

// referenced returns the baktainer metric names a document mentions, without the
// histogram's series suffixes.
func referenced(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range metricName.FindAllString(string(b), -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasPrefix(n, "baktainer_backup_duration_seconds") {
				n = strings.TrimSuffix(n, suffix)
			}
		}
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// The alert rules, the Grafana dashboard and METRICS.md name only metrics that
// exist, and METRICS.md documents every one.
func TestDocsMatchTheMetrics(t *testing.T) {
	have := registered(t)
	for _, doc := range []string{"../docs/prometheus-alerts.yml", "../docs/grafana-dashboard.json", "../docs/METRICS.md"} {
		refs := referenced(t, doc)
		if len(refs) < 5 {
			t.Errorf("%s names only %v", doc, refs)
		}
		for _, n := range refs {
			if !have[n] {
				t.Errorf("%s names %s, which the agent does not expose", doc, n)
			}
		}
	}
	documented := map[string]bool{}
	for _, n := range referenced(t, "../docs/METRICS.md") {
		documented[n] = true
	}
	for n := range have {
		if !documented[n] {
			t.Errorf("%s is not documented in docs/METRICS.md", n)
		}
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, _ := os.ReadFile("../docs/grafana-dashboard.json")
	if err := json.Unmarshal(b, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
}
