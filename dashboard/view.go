package dashboard

import (
	"context"
	"fmt"
	"github.com/docker/go-units"
	"html/template"
	"strings"
	"time"

	"github.com/baktainer/baktainer/agent"
)

// contentView is what the content template gets.
type contentView struct {
	Now          time.Time
	Agent        agent.AgentStatus
	Health       agent.Health
	Backups      agent.BackupCounts
	Targets      []targetView
	Destinations []agent.DestinationStatus
	Counts       []stateCount
}

type stateCount struct {
	State agent.TargetState
	N     int
}

// targetView is one row: the target's report, its trends, and whether it can be
// backed up now.
type targetView struct {
	agent.TargetReport
	SizeTrend     Sparkline
	DurationTrend Sparkline
	CanRun        bool
	// CanTestRestore: no test-restore of it is queued or running (verify.go).
	CanTestRestore bool
}

// content gathers what the page shows. Targets come failures first (see
// agent.TargetState.Rank), then by name.
func (d *Dashboard) content(ctx context.Context) contentView {
	st := d.src.Status(ctx)
	v := contentView{Now: st.Time, Agent: st.Agent, Health: d.src.Health(ctx), Backups: st.Backups,
		Destinations: st.Destinations}
	counts := map[agent.TargetState]int{}
	for _, t := range st.Targets {
		counts[t.State]++
		sizes, durations := d.trends(t.Name)
		v.Targets = append(v.Targets, targetView{TargetReport: t,
			SizeTrend:      newSparkline(sizes, fmt.Sprintf("size of the last %d successful backups", len(sizes))),
			DurationTrend:  newSparkline(durations, fmt.Sprintf("duration of the last %d successful backups", len(durations))),
			CanRun:         t.State != agent.StateInvalid && t.Active == nil,
			CanTestRestore: canTestRestore(t),
		})
	}
	for _, s := range []agent.TargetState{agent.StateFailing, agent.StateOverdue, agent.StateOffsiteFailing, agent.StateInvalid, agent.StatePending, agent.StateOK} {
		if counts[s] > 0 {
			v.Counts = append(v.Counts, stateCount{s, counts[s]})
		}
	}
	return v
}

// trends returns the sizes and durations of a backup name's last successful
// backups, oldest first.
func (d *Dashboard) trends(name string) (sizes, durations []float64) {
	recent := d.src.RecentAttempts(name, 5*trendLength) // newest first
	for i := len(recent) - 1; i >= 0; i-- {
		if a := recent[i]; a.Outcome == agent.Succeeded {
			sizes = append(sizes, float64(a.SizeBytes))
			durations = append(durations, a.Duration().Seconds())
		}
	}
	if n := len(sizes); n > trendLength {
		sizes, durations = sizes[n-trendLength:], durations[n-trendLength:]
	}
	return sizes, durations
}

var funcs = template.FuncMap{
	"bytes":    func(n int64) string { return units.BytesSize(float64(n)) },
	"seconds":  humanSeconds,
	"relative": relative,
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"uptime":   func(s float64) string { return humanDuration(time.Duration(s) * time.Second) },
	"ubytes":   func(n uint64) string { return units.BytesSize(float64(n)) },
	// restoreBadge is an archive's badge (verify.go).
	"restoreBadge": restoreBadge,
	// hostpath shows an off-host remote without its scheme: the page names no
	// address a browser would follow.
	"hostpath": func(remote string) string { _, rest, _ := strings.Cut(remote, "://"); return rest },
}

// humanSeconds writes a backup's duration: 0.4 s, 12 s, 3m05s.
func humanSeconds(s float64) string {
	switch {
	case s < 10:
		return fmt.Sprintf("%.1f s", s)
	case s < 60:
		return fmt.Sprintf("%.0f s", s)
	}
	return humanDuration(time.Duration(s) * time.Second)
}

// humanDuration writes a coarse duration: 45s, 12m, 3h05m, 2d04h.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// relative says how far t is from now: "5m ago", "in 2h03m".
func relative(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d >= 0 {
		return humanDuration(d) + " ago"
	}
	return "in " + humanDuration(-d)
}
