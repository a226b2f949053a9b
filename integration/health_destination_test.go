//go:build integration

package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/plugin"
)

// A baktainer.volume label naming a volume that does not exist makes /health
// unhealthy at once, naming the container, the label and the volume, long before
// the target would be overdue; a target without the label (the default volume,
// created on first use) is fine, and the check creates nothing.
func TestHealthReportsAMissingDestinationAtOnce(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	ctx := context.Background()
	vols, err := plugin.Open(ctx, plugin.Config{DataDir: t.TempDir(), MountDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vols.Create(ctx, "present-"+run, nil); err != nil {
		t.Fatal(err)
	}
	missing := "missing-" + run
	reg, _ := standinRegistry()
	ta := startAgentWith(t, agent.Deps{Docker: dc, Engines: reg,
		Destinations: plugin.Destinations{Volumes: vols, Default: "default-" + run}}, run, map[string]string{"BT_CRON": "@daily"})
	names := startTinies(t, dc, "dest", 3, func(i int) map[string]string {
		switch i {
		case 0:
			return standinLabels(run, labels.Volume, missing)
		case 1:
			return standinLabels(run, labels.Volume, "present-"+run)
		}
		return standinLabels(run)
	})
	wrong := names[0]
	waitUntil(t, 30*time.Second, func() string { return "targets not registered" }, func() bool {
		return len(ta.Targets()) == 3
	})

	var h agent.Health
	status := api(t, "GET", ta.url+"/health", "", nil, &h)
	t.Logf("/health: HTTP %d, reasons %q", status, h.Reasons)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("/health: HTTP %d, want 503 for %s's missing volume", status, wrong)
	}
	reasons := strings.Join(h.Reasons, "\n")
	for _, want := range []string{wrong, labels.Volume, missing, "no such backup volume"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("/health reasons do not say %q: %q", want, h.Reasons)
		}
	}
	if len(h.Reasons) != 1 {
		t.Errorf("/health reasons %q: want one, for %s only", h.Reasons, wrong)
	}
	listed, err := vols.List(ctx)
	if err != nil || len(listed) != 1 {
		t.Errorf("volumes after /health: %+v (%v); want only the one the test made: the check creates nothing", listed, err)
	}
}
