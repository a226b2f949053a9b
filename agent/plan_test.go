package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// imageLabelled starts a container on dc whose backup labels come from its image
// alone (Docker merges an image's labels into its containers'), and one that
// sets its own, besides a password file its image sets.
func imageLabelled(dc *fakedocker.Engine) {
	vendor := map[string]string{labels.Backup: "true", labels.Engine: testEngineName}
	dc.SetImageLabels("sha256:vendor", vendor)
	dc.Start(docker.Container{Name: "vendor-only", Image: "vendor/db", ImageID: "sha256:vendor", Labels: vendor, Created: nowMinus(3)})
	dc.SetImageLabels("sha256:base", map[string]string{labels.PasswordFile: "/run/vendor"})
	own := targetLabels(labels.PasswordFile, "/run/vendor", labels.Name, "mine")
	dc.Start(docker.Container{Name: "own-labels", Image: "base/db", ImageID: "sha256:base", Labels: own, Created: nowMinus(2)})
}

// Plan shows what the agent would register, as it would: the older of two
// containers keeps a shared name, wrong labels are problems, a container whose
// labels come from its image only is no target under BT_REQUIRE_CONTAINER_LABELS.
func TestPlan(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.Start(docker.Container{Name: "second", Labels: targetLabels(labels.Name, "shop"), Created: nowMinus(5)})
	dc.Start(docker.Container{Name: "first", Labels: targetLabels(labels.Name, "shop", labels.Schedule, "@hourly"), Created: nowMinus(10)})
	dc.Start(docker.Container{Name: "typo", Labels: targetLabels(labels.Schedule, "sometimes")})
	imageLabelled(dc)
	now := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		require string
		want    map[string]string // container → what its entry says (problem or next run)
	}{
		{"false", map[string]string{"first": "2026-05-04T11:00:00Z", "second": "container first already backs up under this name",
			"typo": labels.Schedule, "vendor-only": "2026-05-05T00:00:00Z", "own-labels": "2026-05-05T00:00:00Z"}},
		{"true", map[string]string{"first": "2026-05-04T11:00:00Z", "second": "container first already backs up under this name",
			"typo": labels.Schedule, "vendor-only": "BT_REQUIRE_CONTAINER_LABELS=true ignores image labels", "own-labels": "2026-05-05T00:00:00Z"}},
	} {
		cfg := testConfig(t, map[string]string{"BT_REQUIRE_CONTAINER_LABELS": tc.require})
		plan, err := Plan(t.Context(), dc, engines.NewRegistry(testEngine{}), Directory{Dir: cfg.BackupDir}, cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) != len(tc.want) {
			t.Fatalf("BT_REQUIRE_CONTAINER_LABELS=%s: %d entries: %+v", tc.require, len(plan), plan)
		}
		for _, p := range plan {
			says := p.Problem
			if says == "" {
				says = p.NextRun.UTC().Format(time.RFC3339)
			}
			if want := tc.want[p.Container]; !strings.Contains(says, want) {
				t.Errorf("BT_REQUIRE_CONTAINER_LABELS=%s: %s says %q; want %q", tc.require, p.Container, says, want)
			}
		}
	}
	dc.SetDown(true)
	if _, err := Plan(t.Context(), dc, engines.NewRegistry(testEngine{}), Directory{}, testConfig(t, nil), now); err == nil {
		t.Error("Plan without Docker succeeded")
	}
}

// Under BT_REQUIRE_CONTAINER_LABELS the agent registers a container for its own
// labels only, ignoring (once, with a log line) those its image sets.
func TestAgentRequiresContainerLabels(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	imageLabelled(dc)
	r := startRig(t, map[string]string{"BT_REQUIRE_CONTAINER_LABELS": "true"}, dc)
	if got := r.registered("own-labels"); got.Problem != "" || got.Name != "mine" {
		t.Errorf("own-labels: %+v", got)
	}
	for _, s := range r.agent.Targets() {
		if s.Container == "vendor-only" {
			t.Errorf("a container labelled by its image only is a target: %+v", s)
		}
	}
	r.docker.OnExec(writes(goodDump, nil))
	if att := r.runNow("mine"); att.Outcome != Succeeded {
		t.Errorf("backup of own-labels: %+v", att)
	}
	// Its image now sets its backup labels too: the next try refuses it.
	dc.SetImageLabels("sha256:base", targetLabels(labels.PasswordFile, "/run/vendor"))
	if att := r.runNow("mine"); att.Outcome != Failed || att.ErrorKind != KindLabels || !strings.Contains(att.Error, "image only") {
		t.Errorf("backup of a container whose labels became its image's: %+v", att)
	}
}
