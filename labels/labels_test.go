package labels

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   map[string]string
		check    func(Spec) bool
		problems []string // labels named by the errors, in order
	}{
		{
			name:   "original baktainer labels",
			labels: map[string]string{Backup: "true", Engine: "PostgreSQL", Database: "app", User: "u", Password: "p", All: "false", Name: "shop", Compress: "true"},
			check: func(s Spec) bool {
				return s.Backup && s.Engine == "postgres" && s.Database == "app" && s.User == "u" && s.Password == "p" && !s.All && s.Name == "shop" && s.Compress == "zstd"
			},
		},
		{
			name:   "new labels",
			labels: map[string]string{Backup: "yes", Engine: "mariadb", PasswordFile: "/run/secrets/db", Schedule: "@daily", OnStart: "1", Volume: "pg", KeepCount: "7"},
			check: func(s Spec) bool {
				return s.PasswordFile == "/run/secrets/db" && s.Schedule == "@daily" && s.OnStart && s.Volume == "pg" && *s.Retention.Count == 7 && s.Retention.Days == nil
			},
		},
		{
			name:   "test-restore schedule",
			labels: map[string]string{Backup: "true", VerifySchedule: "@every 6h"},
			check:  func(s Spec) bool { return s.VerifySchedule == "@every 6h" },
		},
		{
			name:   "test-restores off for one container",
			labels: map[string]string{Backup: "true", VerifySchedule: " Off "},
			check:  func(s Spec) bool { return s.VerifySchedule == VerifyOff },
		},
		{name: "a test-restore schedule that is not one", labels: map[string]string{VerifySchedule: "weekly-ish"}, problems: []string{VerifySchedule}},
		{name: "not labelled", labels: map[string]string{"com.example": "x"}, check: func(s Spec) bool { return !s.Backup && s.Engine == "" }},
		{
			name:     "every problem at once",
			labels:   map[string]string{Backup: "sure", Engine: " ", Schedule: "every day", Compress: "lz4", KeepDays: "-1", PasswordFile: "secret.txt", Name: "", "baktainer.db.nmae": "app"},
			problems: []string{Backup, Engine, PasswordFile, Name, Compress, Schedule, KeepDays},
		},
		{name: "empty value", labels: map[string]string{User: " "}, problems: []string{User}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(tc.labels)
			var got []string
			for _, e := range unjoin(err) {
				var le *Error
				if !errors.As(e, &le) {
					t.Fatalf("error %v is not a *labels.Error", e)
				}
				got = append(got, le.Label)
			}
			if strings.Join(got, ",") != strings.Join(tc.problems, ",") {
				t.Errorf("problems with %v, want %v (err: %v)", got, tc.problems, err)
			}
			if tc.check != nil && !tc.check(spec) {
				t.Errorf("spec = %+v", spec)
			}
		})
	}
}

// An unknown baktainer.* label is a warning naming the nearest known label; it
// never stops the backup.
func TestUnknownLabelsAreWarnings(t *testing.T) {
	spec, err := Parse(map[string]string{Backup: "true", Engine: "postgres", "baktainer.db.nmae": "app",
		"baktainer.retention.day": "7", "baktainer.zzzzzzzzzzz": "x", "com.example.other": "y"})
	if err != nil {
		t.Fatalf("unknown labels refused: %v", err)
	}
	var got []string
	for _, w := range spec.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"label baktainer.db.nmae: not a baktainer label (ignored); did you mean baktainer.db.name?",
		"label baktainer.retention.day: not a baktainer label (ignored); did you mean baktainer.retention.days?",
		"label baktainer.zzzzzzzzzzz: not a baktainer label (ignored)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !spec.Backup || spec.Engine != "postgres" {
		t.Errorf("warnings:\n%s\nwant:\n%s\nspec %+v", strings.Join(got, "\n"), strings.Join(want, "\n"), spec)
	}
}

// Counts, days and booleans take the same words and limits as the settings.
func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		label, value string
		ok           bool
	}{
		{KeepDays, "36500", true}, {KeepDays, "36501", false}, {KeepDays, "213504", false},
		{KeepCount, "1000000", true}, {KeepCount, "1000001", false}, {KeepCount, "99999999999999999999", false},
		{OnStart, "on", true}, {OnStart, "OFF", true}, {All, "enabled", false},
	} {
		_, err := Parse(map[string]string{tc.label: tc.value})
		if (err == nil) != tc.ok {
			t.Errorf("%s=%q: err = %v, want ok=%v", tc.label, tc.value, err, tc.ok)
		}
	}
}

func TestErrorNeverShowsPassword(t *testing.T) {
	// password_file too: a password is sometimes pasted where its path belongs.
	for _, label := range []string{Password, PasswordFile} {
		e := &Error{Label: label, Value: "hunter2", Problem: "bad"}
		if strings.Contains(e.Error(), "hunter2") || !strings.Contains(e.Error(), label) {
			t.Errorf("%q shows the value of %s, or does not name it", e.Error(), label)
		}
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
