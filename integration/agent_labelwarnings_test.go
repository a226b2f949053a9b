//go:build integration

package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// TestQuotedBackupLabelAndLabelWarnings, with the real engine: compose's list
// syntax (`- baktainer.backup="true"`) keeps the quotes, and Docker's label
// filter compares values exactly, so such a container was never discovered
// (issue 13). It is now discovered and backed up, one labelled "false" is not,
// and what its labels say that baktainer reads other than as written is shown
// by `plan` (text and --json), /status and /api/v1/targets (issue 10).
func TestQuotedBackupLabelAndLabelWarnings(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	quotedLabels := func(engine string) map[string]string {
		return map[string]string{"baktainer.backup": `"true"`, "baktainer.db.engine": engine,
			"baktainer.db.nmae": "shop", rig.RunLabel: run}
	}
	planned := rig.Start(t, dc, rig.ContainerSpec{Name: "quoted-plan", Image: rig.TinyImage, Labels: quotedLabels("postgres")})
	declined := rig.Start(t, dc, rig.ContainerSpec{Name: "quoted-declined", Image: rig.TinyImage, Labels: map[string]string{
		"baktainer.backup": `"false"`, "baktainer.db.engine": "postgres", rig.RunLabel: run}})
	wantWarnings := func(where string, warnings []string) {
		t.Helper()
		joined := strings.Join(warnings, "\n")
		for _, want := range []string{"label baktainer.backup: its value is in one pair of quotes",
			"label baktainer.db.nmae: not a baktainer label (ignored); did you mean baktainer.db.name?"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: warnings lack %q:\n%s", where, want, joined)
			}
		}
	}

	env := []string{"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_BACKUP_DIR=" + t.TempDir()}
	out, errOut, code := runBaktainer(t, env, "plan", "--json")
	var plan []agent.PlanEntry
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil {
		t.Fatalf("plan --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(plan) != 1 || plan[0].Container != planned || plan[0].Problem != "" {
		t.Fatalf("plan --json lists %+v; want %s alone (not %s), without a problem", plan, planned, declined)
	}
	wantWarnings("plan --json", plan[0].Warnings)
	out, errOut, code = runBaktainer(t, env, "plan")
	if code != 0 || !strings.Contains(out, "warning: label baktainer.db.nmae") || strings.Contains(out, declined) {
		t.Errorf("plan: exit %d\n%s%s", code, out, errOut)
	}

	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily"}, reg)
	standin := rig.Start(t, dc, rig.ContainerSpec{Name: "quoted-standin", Image: rig.TinyImage, Labels: quotedLabels(standinEngineLabel)})
	waitUntil(t, 20*time.Second, func() string { return standin + " not registered" }, func() bool { _, ok := ta.target(standin); return ok })
	if _, ok := ta.target(declined); ok {
		t.Errorf("%s (baktainer.backup=\"false\") is a target", declined)
	}
	var status agent.Status
	if code := api(t, http.MethodGet, ta.url+"/status", "", nil, &status); code != http.StatusOK && code != http.StatusServiceUnavailable {
		t.Fatalf("/status: %d", code)
	}
	for _, tr := range status.Targets {
		if tr.Container == standin {
			wantWarnings("/status", tr.Warnings)
		}
	}
	var targets []agent.TargetStatus
	api(t, http.MethodGet, ta.url+"/api/v1/targets", "", nil, &targets)
	if len(targets) == 0 {
		t.Fatal("/api/v1/targets is empty")
	}
	wantWarnings("/api/v1/targets", targets[0].Warnings)
	att, err := ta.RunNow(standin)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, func() string { return "no finished backup of " + standin }, func() bool {
		return len(ta.attempts(att.Name)) > 0
	})
	if done := ta.attempts(att.Name)[0]; done.Outcome != agent.Succeeded {
		t.Errorf("backup of the quoted container: %s %s", done.Outcome, done.Error)
	}
}
