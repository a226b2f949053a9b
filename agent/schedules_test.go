package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Each schedule of baktainer.schedule fires on its own; a tagged one files its
// archives under "<name>.<tag>", a series retention counts apart.
func TestSeveralSchedulesFire(t *testing.T) {
	t.Parallel()
	r := startWithTarget(t, map[string]string{"BT_RETENTION_COUNT": "1"}, labels.Schedule, "@every 1s=fast; @every 2s")
	s := r.registered("db")
	if len(s.Runs) != 2 || s.Runs[0].Series != "db.fast" || s.Runs[1].Series != "db" || s.Runs[1].Tag != "" {
		t.Fatalf("runs: %+v", s.Runs)
	}
	if s.NextRun.IsZero() || !s.NextRun.Equal(earliest(s.Runs)) {
		t.Errorf("next run %s is not the soonest of %+v", s.NextRun, s.Runs)
	}
	pruned := map[string]bool{}
	r.waitFor("both schedules fired and pruned their own series", func() bool {
		for _, a := range r.seen.finishedOf("db") {
			if a.Outcome == Succeeded && a.Trigger == TriggerSchedule && a.Pruned == 1 {
				pruned[a.Tag] = true
			}
		}
		return pruned["fast"] && pruned[""]
	})
	for _, a := range r.seen.finishedOf("db") {
		if a.Outcome != Succeeded {
			continue
		}
		if want := SeriesName("db", a.Tag); a.Series != want || filepath.Base(filepath.Dir(filepath.Dir(a.Archive))) != want {
			t.Errorf("attempt tagged %q: series %q, archive %s", a.Tag, a.Series, a.Archive)
		}
	}
	r.stop()
	root := r.agent.cfg.BackupDir
	for _, series := range []string{"db", "db.fast"} {
		n := 0
		_ = filepath.WalkDir(filepath.Join(root, series), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".dump.zst") {
				n++
			}
			return nil
		})
		// One kept by BT_RETENTION_COUNT=1, and perhaps the one whose
		// retention the agent's stop cut short: the other series' runs
		// never count it.
		if n < 1 || n > 2 {
			t.Errorf("series %s holds %d archives; BT_RETENTION_COUNT=1 counts each series apart", series, n)
		}
	}
}

// A run that finds the container busy with a run of another tag is queued once
// that one ends; of the same tag, it is skipped with a warning.
func TestBusyRunOfAnotherTagWaits(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	gate := make(chan struct{})
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		<-gate
		return writes(goodDump, nil)(ctx, c, spec)
	})
	r.start("db", labels.Schedule, "@daily=daily; @weekly=weekly")
	e, _ := r.agent.targets.get(r.registered("db").ContainerID)
	r.agent.fire(e.id(), "daily")
	r.agent.fire(e.id(), "weekly")
	r.agent.fire(e.id(), "daily")
	r.waitFor("the same tag's warning", func() bool { return r.seen.warned("db", "scheduled backup skipped") })
	close(gate)
	r.waitFor("both tags ran", func() bool { return len(r.seen.finishedOf("db")) == 2 })
	got := r.seen.finishedOf("db")
	if got[0].Tag != "daily" || got[1].Tag != "weekly" || got[1].Outcome != Succeeded {
		t.Errorf("attempts: %s %s, %s %s", got[0].Tag, got[0].Outcome, got[1].Tag, got[1].Outcome)
	}
}

// baktainer.schedule.once fires once, at its time, tagged; one already past
// never fires.
func TestScheduleOnce(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	r.docker.OnExec(writes(goodDump, nil))
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	r.start("db", labels.ScheduleOnce, at.Format(time.RFC3339)+"=once")
	r.start("past", labels.ScheduleOnce, "2001-01-01T00:00Z")
	s := r.registered("db")
	if len(s.Runs) != 2 || !s.Runs[1].Once || !s.Runs[1].NextRun.Equal(at) || s.Runs[1].Series != "db.once" {
		t.Fatalf("runs: %+v", s.Runs)
	}
	att := r.firstFinished("db")
	if att.Tag != "once" || att.Started.Before(at) {
		t.Errorf("the once ran %+v", att)
	}
	if p := r.registered("past"); !p.Runs[1].NextRun.IsZero() {
		t.Errorf("a once in the past: %+v", p.Runs[1])
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(r.seen.finishedOf("db")); n != 1 {
		t.Errorf("the once ran %d times", n)
	}
	if n := len(r.seen.finishedOf("past")); n != 0 {
		t.Errorf("a once in the past ran")
	}
}

func TestSeriesName(t *testing.T) {
	if got := SeriesName("db", ""); got != "db" {
		t.Error(got)
	}
	if got := SeriesName("db", "weekly"); got != "db.weekly" {
		t.Error(got)
	}
	long := strings.Repeat("n", 125)
	if got := SeriesName(long, "weekly"); len(got) > 128 || got == long+".weekly" {
		t.Errorf("a long name's series: %q", got)
	}
}
