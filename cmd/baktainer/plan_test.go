package main

import (
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
)

// plan shows every run of a target on a line of its own, under the name its
// archives are filed under; a once already past says so; a split names the
// per-database archives.
func TestPlanRowsShowEveryRun(t *testing.T) {
	next := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	p := agent.PlanEntry{Name: "db", Container: "shop-db", Engine: "postgres", Database: "all", OnStart: true,
		Schedule: "0 3 * * *=daily; @weekly", Destination: "/backups/db", Split: true,
		Runs: []agent.ScheduledRun{
			{Schedule: "0 3 * * *", Tag: "daily", Series: "db.daily", NextRun: next},
			{Schedule: "@weekly", Series: "db", NextRun: next.Add(time.Hour)},
			{Schedule: "2001-01-01T00:00:00Z", Once: true, Series: "db"},
		}}
	var got []string
	for _, row := range planRows(p, "/backups", time.UTC) {
		got = append(got, strings.Join(row, " | "))
	}
	want := []string{
		"db.daily | shop-db | postgres | all (split) | 0 3 * * *=daily (+ on start) | 2030-01-02 03:00:00 UTC | /backups/db.daily.<database>",
		"db | shop-db | postgres | all (split) | @weekly | 2030-01-02 04:00:00 UTC | /backups/db.<database>",
		"db | shop-db | postgres | all (split) | once 2001-01-01T00:00:00Z | never (past) | /backups/db.<database>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	one := agent.PlanEntry{Name: "app", Schedule: "30 2 * * *", Destination: "/backups/app",
		Runs: []agent.ScheduledRun{{Schedule: "30 2 * * *", Series: "app", NextRun: next}}}
	if row := strings.Join(planRows(one, "/backups", time.UTC)[0], " | "); row != "app |  |  | - | 30 2 * * * | 2030-01-02 03:00:00 UTC | /backups/app" {
		t.Errorf("one run: %s", row)
	}
}
