//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// Two schedules on one real Postgres container both fire, each filing its
// archives under its own tag's series and keeping its own
// baktainer.retention.count of them, and baktainer.schedule.once fires once
// (and only once), under the plain name; `plan` shows each of the three runs.
func TestControlSchedules(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	once := time.Now().Add(25 * time.Second).UTC().Truncate(time.Second)
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ctl-sched", Env: []string{"POSTGRES_PASSWORD=sched-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.name": "sched",
			"baktainer.schedule": "@every 3s=fast; @every 7s=slow", "baktainer.schedule.once": once.Format(time.RFC3339),
			"baktainer.retention.count": "2", rig.RunLabel: run}})
	rig.Psql(t, dc, pg, "postgres", "app", "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);")

	env := []string{"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_BACKUP_DIR=" + t.TempDir()}
	out, errOut, code := runBaktainer(t, env, "plan")
	for _, want := range []string{"sched.fast", "@every 3s=fast", "sched.slow", "@every 7s=slow", "once " + once.Format(time.RFC3339)} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan does not show %q: exit %d\n%s%s", want, code, out, errOut)
		}
	}

	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@yearly", "BT_BACKUP_RETRIES": "0"}, nil)
	fired := func(tag string) (n int) {
		for _, a := range ta.attempts("sched") {
			if a.Trigger == agent.TriggerSchedule && a.Tag == tag && a.Outcome == agent.Succeeded {
				n++
			}
		}
		return n
	}
	perSeries := func() map[string]int {
		n := map[string]int{}
		for _, a := range ctlArchives(t, ta.dir) {
			n[strings.Split(a, "/")[0]]++
		}
		return n
	}
	// Retention prunes just after each commit: the counts settle between runs.
	waitUntil(t, 90*time.Second, func() string {
		return fmt.Sprintf("want fast ≥ 3, slow ≥ 2, once 1 run, and 2, 2, 1 archives; got %d, %d, %d runs and %v archives; logs:\n%s",
			fired("fast"), fired("slow"), fired(""), perSeries(), ta.logs.String())
	}, func() bool {
		n := perSeries()
		return fired("fast") >= 3 && fired("slow") >= 2 && fired("") == 1 &&
			n["sched.fast"] == 2 && n["sched.slow"] == 2 && n["sched"] == 1 && len(n) == 3
	})
	for _, a := range ta.attempts("sched") {
		if a.Outcome == agent.Failed {
			t.Errorf("failed attempt: %+v", a)
		}
	}
}
