package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baktainer/baktainer/labels"
)

func newTestTargets(t *testing.T) *targets {
	t.Helper()
	ts := &targets{byID: map[string]*entry{}, loc: time.UTC, defSpec: "@daily",
		cron: cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cron.DiscardLogger))}
	ts.cron.Start()
	t.Cleanup(func() { <-ts.cron.Stop().Done() })
	return ts
}

func scheduled(t *testing.T, e *entry, spec string) *entry {
	t.Helper()
	sched, err := labels.ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.schedule, e.sched = spec, sched
	e.runs = []scheduledRun{{expr: spec, sched: sched}}
	return e
}

// The next run of an @every schedule is the scheduler's: it does not move
// as time passes (it used to be "now + interval" at every look).
func TestNextRunIsTheSchedulers(t *testing.T) {
	ts := newTestTargets(t)
	e := scheduled(t, namedEntry("1", "db", "db", "dir", nil), "@every 1h")
	before := time.Now()
	ts.register(e, func(string, string) {})
	first := ts.nextRun(e, time.Now())
	later := ts.nextRun(e, time.Now().Add(10*time.Minute))
	if !first.Equal(later) {
		t.Errorf("next run moved from %s to %s as time passed", first, later)
	}
	if d := first.Sub(before.Add(time.Hour)); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("next run %s is not an hour after the registration %s", first, before)
	}
	if plan := scheduled(t, namedEntry("2", "x", "x", "dir", nil), "@every 1h"); !ts.nextRun(plan, before).Equal(plan.sched.Next(before)) {
		t.Errorf("an entry without a scheduler entry: %s, want the schedule's next after now", ts.nextRun(plan, before))
	}
}

// The second container that claims a name in a destination is refused, not
// scheduled; removing the first hands the refused one back for admission.
func TestRegisterRefusesASecondHolderOfAName(t *testing.T) {
	ts := newTestTargets(t)
	first := scheduled(t, namedEntry("1", "first", "shop", "volume a", nil), "@daily")
	second := scheduled(t, namedEntry("2", "second", "shop", "volume a", nil), "@daily")
	elsewhere := scheduled(t, namedEntry("3", "elsewhere", "shop", "volume b", nil), "@daily")
	for _, e := range []*entry{first, second, elsewhere} {
		ts.register(e, func(string, string) {})
	}
	if first.problem != nil || elsewhere.problem != nil {
		t.Fatalf("first %v, elsewhere %v: want both scheduled", first.problem, elsewhere.problem)
	}
	if second.problem == nil || second.scheduled() || !strings.Contains(second.problem.Error(), "first") {
		t.Fatalf("second: problem %v, scheduled %v; want refused, naming the first", second.problem, second.scheduled())
	}
	removed, waiting := ts.remove("1")
	if removed != first || len(waiting) != 1 || waiting[0] != second {
		t.Errorf("remove(first) = %v, waiting %v; want the second waiting", removed, waiting)
	}
}
