//go:build integration

package integration

import (
	"strings"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// TestLabelsCheckAndPlanReportAMissingBackupVolume (issue #17.6): a
// baktainer.volume label that names no volume, or a volume of Docker's local
// driver, is a problem `labels check` reports (exit 1, naming the label and the
// volume) and `plan` reports too; a
// container without the label stays ok.
func TestLabelsCheckAndPlanReportAMissingBackupVolume(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	missing, local := "nosuch-"+run, "local-"+run
	rig.Run(t, nil, "docker", "volume", "create", local)
	t.Cleanup(func() { rig.Run(t, nil, "docker", "volume", "rm", "-f", local) })
	start := func(name, volume string) string {
		set := map[string]string{labels.Backup: "true", labels.Engine: "sqlite", labels.Database: "/data/app.db", rig.RunLabel: run}
		if volume != "" {
			set[labels.Volume] = volume
		}
		return rig.Start(t, dc, rig.ContainerSpec{Name: name, Image: rig.SQLiteImage, Labels: set})
	}
	withMissing, withLocal, without := start("vol-missing", missing), start("vol-local", local), start("vol-none", "")

	for _, c := range []struct {
		container, volume, says string
	}{{withMissing, missing, "has no volume"}, {withLocal, local, "local driver"}} {
		out, errOut, code := runBaktainer(t, nil, "labels", "check", c.container)
		t.Logf("labels check %s: exit %d\n%s%s", c.container, code, out, errOut)
		if code != 1 || !strings.Contains(out, labels.Volume) || !strings.Contains(out, c.volume) || !strings.Contains(out, c.says) {
			t.Errorf("labels check %s: exit %d, output %q; want a problem naming %s, %q and saying %q", c.container, code, out, labels.Volume, c.volume, c.says)
		}
	}
	if out, errOut, code := runBaktainer(t, nil, "labels", "check", without); code != 0 {
		t.Errorf("labels check of a container without %s: exit %d\n%s%s", labels.Volume, code, out, errOut)
	}

	out, errOut, code := runBaktainer(t, []string{"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_BACKUP_DIR=" + t.TempDir()}, "plan")
	t.Logf("plan: exit %d\n%s%s", code, out, errOut)
	for _, want := range []string{withMissing + ": label " + labels.Volume, missing, withLocal + ": label " + labels.Volume, local} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not say %q", want)
		}
	}
	if strings.Contains(out, without+": label") {
		t.Errorf("plan reports a destination problem for %s, which names no volume", without)
	}
}
