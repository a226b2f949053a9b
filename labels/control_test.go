package labels

import (
	"strings"
	"testing"
	"time"
)

// The labels of issue #14 parse to their typed form, and each problem names its
// label and says what is wrong.
func TestParseControlLabels(t *testing.T) {
	base := map[string]string{Backup: "true", Engine: "postgres"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		labels  map[string]string
		check   func(Spec) bool
		problem string // a fragment of the one error; "" for none
	}{
		{"hooks", with(map[string]string{HookPre: `["sh","-c","echo pre"]`, HookPost: `["touch","/tmp/done"]`,
			HookPostFailure: `["false"]`, HookContainer: "app-1", HookTimeout: "90s"}), func(s Spec) bool {
			return strings.Join(s.Hooks.Pre, " ") == "sh -c echo pre" && len(s.Hooks.Post) == 2 && s.Hooks.PostFailure[0] == "false" &&
				s.Hooks.Container == "app-1" && s.Hooks.TimeoutOrDefault() == 90*time.Second
		}, ""},
		{"default hook timeout", with(map[string]string{HookPre: `["true"]`}), func(s Spec) bool {
			return s.Hooks.TimeoutOrDefault() == DefaultHookTimeout
		}, ""},
		{"hook not JSON", with(map[string]string{HookPre: "pg_isready -q"}), nil, "must be a JSON array of strings"},
		{"hook empty array", with(map[string]string{HookPost: "[]"}), nil, "1 to 256 words"},
		{"hook empty program", with(map[string]string{HookPost: `[""]`}), nil, "first word"},
		{"hook NUL", with(map[string]string{HookPost: `["a\u0000b"]`}), nil, "NUL"},
		{"hook timeout too long", with(map[string]string{HookPre: `["true"]`, HookTimeout: "48h"}), nil, "duration from 1s to 24h"},
		{"hook container shape", with(map[string]string{HookPre: `["true"]`, HookContainer: "-x"}), nil, "container name"},
		{"stop group", with(map[string]string{StopDuringBackup: "web", StopGroup: "db"}), func(s Spec) bool {
			return s.StopDuringBackup == "web" && s.StopGroup == "db"
		}, ""},
		{"stop group shape", with(map[string]string{StopDuringBackup: "a b"}), nil, "group name"},
		{"options", with(map[string]string{DumpOptions: `["--no-owner","--exclude-table=audit"]`}), func(s Spec) bool {
			return len(s.DumpOptions) == 2
		}, ""},
		{"include means every database", with(map[string]string{Include: "app*, shop"}), func(s Spec) bool {
			return s.All && strings.Join(s.Include, "|") == "app*|shop"
		}, ""},
		{"split means every database", with(map[string]string{Split: "true", Exclude: "tmp_*"}), func(s Spec) bool {
			return s.All && s.Split && s.Exclude[0] == "tmp_*"
		}, ""},
		{"include next to db.name", with(map[string]string{Include: "a", Database: "app"}), nil, "chooses among every database"},
		{"bad glob", with(map[string]string{Exclude: "a[b"}), nil, "not a glob"},
		{"empty pattern", with(map[string]string{Exclude: "a,,b"}), nil, "empty pattern"},
		{"schedules with tags", with(map[string]string{Schedule: "0 3 * * *=daily; 0 4 * * 0=weekly ;@every 1h"}), func(s Spec) bool {
			return len(s.Schedules) == 3 && s.Schedules[0] == ScheduleEntry{"0 3 * * *", "daily"} &&
				s.Schedules[1] == ScheduleEntry{"0 4 * * 0", "weekly"} && s.Schedules[2] == ScheduleEntry{"@every 1h", ""}
		}, ""},
		{"schedule tag shape", with(map[string]string{Schedule: "@daily=Daily"}), nil, "lower-case letters"},
		{"schedule empty part", with(map[string]string{Schedule: "@daily;;@hourly"}), nil, "empty"},
		{"schedule twice", with(map[string]string{Schedule: "@daily=a;@daily=a"}), nil, "listed twice"},
		{"schedule bad expr", with(map[string]string{Schedule: "@daily;every day"}), nil, "not a 5-field cron"},
		{"once", with(map[string]string{ScheduleOnce: "2099-12-01T03:00Z=yearly"}), func(s Spec) bool {
			return s.Once != nil && s.Once.At.Equal(time.Date(2099, 12, 1, 3, 0, 0, 0, time.UTC)) && s.Once.Tag == "yearly"
		}, ""},
		{"once with an offset", with(map[string]string{ScheduleOnce: "2099-12-01T04:00:30+01:00"}), func(s Spec) bool {
			return s.Once.At.Equal(time.Date(2099, 12, 1, 3, 0, 30, 0, time.UTC)) && s.Once.At.Location() == time.UTC
		}, ""},
		{"once without a zone", with(map[string]string{ScheduleOnce: "2099-12-01T03:00"}), nil, "with its zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(tc.labels)
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("unexpected problem: %v", err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Fatalf("err = %v, want one saying %q", err, tc.problem)
			case tc.check != nil && !tc.check(spec):
				t.Fatalf("spec = %+v", spec)
			}
		})
	}
}

// What Parse accepts but may not mean as written is a warning: a once already
// past, a hook timeout without a hook.
func TestControlWarnings(t *testing.T) {
	spec, err := Parse(map[string]string{Backup: "true", Engine: "postgres", ScheduleOnce: "2001-01-01T00:00Z",
		HookTimeout: "1m", HookContainer: "app"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, w := range spec.Warnings {
		got[w.Label] = w.Problem
	}
	if !strings.Contains(got[ScheduleOnce], "already past") || !strings.Contains(got[HookTimeout], "no hook is set") ||
		!strings.Contains(got[HookContainer], "no hook is set") {
		t.Errorf("warnings = %v", spec.Warnings)
	}
}

func TestMatchDatabases(t *testing.T) {
	names := []string{"app", "app_test", "shop", "postgres", "tmp_1"}
	for _, tc := range []struct {
		include, exclude []string
		want             string
	}{
		{nil, nil, "app app_test shop postgres tmp_1"},
		{[]string{"app*"}, nil, "app app_test"},
		{nil, []string{"tmp_*", "postgres"}, "app app_test shop"},
		{[]string{"app*", "shop"}, []string{"*_test"}, "app shop"},
		{[]string{"nothing"}, nil, ""},
	} {
		if got := strings.Join(MatchDatabases(names, tc.include, tc.exclude), " "); got != tc.want {
			t.Errorf("include %v exclude %v: %q, want %q", tc.include, tc.exclude, got, tc.want)
		}
	}
}
