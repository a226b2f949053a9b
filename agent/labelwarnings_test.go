package agent

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// hasWarning reports whether one of warnings says every one of says.
func hasWarning(warnings []string, says ...string) bool {
	return slices.ContainsFunc(warnings, func(w string) bool {
		for _, s := range says {
			if !strings.Contains(w, s) {
				return false
			}
		}
		return true
	})
}

// Issue 10: what Parse reads without refusing (an unknown label, a quoted
// value) is shown by the plan and by /status (TargetReports), not only logged
// once at registration; it never repeats a credential label's value.
func TestLabelWarningsShowInPlanAndStatus(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.Start(docker.Container{Name: "typo", Labels: targetLabels("baktainer.db.nmae", "shop", labels.Name, `"shop"`,
		labels.Password, `"Planted-Secret-9"`)})
	cfg := testConfig(t, nil)
	plan, err := Plan(t.Context(), dc, engines.NewRegistry(testEngine{}), Directory{Dir: cfg.BackupDir}, cfg, time.Now())
	if err != nil || len(plan) != 1 {
		t.Fatalf("Plan = %+v, %v", plan, err)
	}
	check := func(where string, info TargetInfo) {
		t.Helper()
		if !hasWarning(info.Warnings, "baktainer.db.nmae", "did you mean baktainer.db.name?") ||
			!hasWarning(info.Warnings, labels.Name, "quotes") {
			t.Errorf("%s: warnings %q; want the unknown label and the quoted name", where, info.Warnings)
		}
		if strings.Contains(strings.Join(info.Warnings, " "), "Planted-Secret-9") {
			t.Errorf("%s: a warning repeats the password label's value: %q", where, info.Warnings)
		}
	}
	check("plan", plan[0])

	r := startRig(t, nil, dc)
	r.registered("typo")
	reports := r.agent.TargetReports(t.Context())
	if len(reports) != 1 {
		t.Fatalf("TargetReports = %+v", reports)
	}
	check("status", reports[0].TargetInfo)
}

// Issue 13: compose's list syntax (`- baktainer.backup="true"`) keeps the
// quotes in the value. Such a container is discovered (with the quote warning)
// and backed up; one whose value says no is not a target; one whose value is
// no boolean at all is a target with a label problem, never silently left out.
func TestQuotedBackupLabelIsDiscovered(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.OnExec(writes(goodDump, nil))
	dc.Start(docker.Container{Name: "quoted", Labels: targetLabels(labels.Backup, `"true"`)})
	dc.Start(docker.Container{Name: "single-quoted", Labels: targetLabels(labels.Backup, `'yes'`)})
	dc.Start(docker.Container{Name: "declined", Labels: targetLabels(labels.Backup, `"false"`)})
	dc.Start(docker.Container{Name: "unclear", Labels: targetLabels(labels.Backup, "maybe")})
	r := startRig(t, nil, dc)

	quoted := r.registered("quoted")
	if quoted.Problem != "" || !hasWarning(quoted.Warnings, labels.Backup, "quotes") {
		t.Errorf("quoted: problem %q, warnings %q; want no problem and the quote warning", quoted.Problem, quoted.Warnings)
	}
	if att := r.runNow("quoted"); att.Outcome != Succeeded {
		t.Errorf("backup of the quoted container: %s %s", att.Outcome, att.Error)
	}
	r.registered("single-quoted")
	if unclear := r.registered("unclear"); !strings.Contains(unclear.Problem, `label baktainer.backup="maybe"`) {
		t.Errorf("unclear: problem %q; want the label named", unclear.Problem)
	}
	// A later start event of a declined container is ignored as well.
	dc.Start(docker.Container{Name: "declined-later", Labels: targetLabels(labels.Backup, "no")})
	dc.Start(docker.Container{Name: "late-quoted", Labels: targetLabels(labels.Backup, `"on"`)})
	r.registered("late-quoted")
	for _, s := range r.agent.Targets() {
		if s.Container == "declined" || s.Container == "declined-later" {
			t.Errorf("%s (%s=no) is a target: %+v", s.Container, labels.Backup, s)
		}
	}
	cfg := testConfig(t, nil)
	plan, err := Plan(t.Context(), dc, engines.NewRegistry(testEngine{}), Directory{Dir: cfg.BackupDir}, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var planned []string
	for _, p := range plan {
		planned = append(planned, p.Container)
	}
	slices.Sort(planned)
	if want := []string{"late-quoted", "quoted", "single-quoted", "unclear"}; !slices.Equal(planned, want) {
		t.Errorf("plan lists %v, want %v", planned, want)
	}
}
