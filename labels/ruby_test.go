package labels

import (
	"strings"
	"testing"

	"github.com/baktainer/baktainer/parse"
)

// #13: every label the Ruby Baktainer read (its README) or validated (its label
// schema, label_validator.rb) is accepted: mapped to what baktainer does, or
// warned about with what baktainer does instead. Nothing of it stops a backup.
func TestRubyLabels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		check  func(Spec) bool
		warned []string // labels with a warning, sorted
	}{
		{
			name: "the Ruby README's example, compose list form",
			labels: map[string]string{Backup: "true", Engine: "postgres", Database: "my-db", User: "user",
				Password: "StrongPassword", Name: `"MyApp"`},
			check: func(s Spec) bool {
				return s.Backup && s.Engine == "postgres" && s.Database == "my-db" && s.User == "user" && s.Password == "StrongPassword" && s.Name == "MyApp"
			},
			warned: []string{Name},
		},
		{
			name: "the Ruby label schema's example (generate_example_labels)",
			labels: map[string]string{Backup: "true", Engine: "postgres", Database: "myapp_production", Name: "myapp",
				User: "backup_user", Password: "secure_password",
				"baktainer.backup.compress": "true", "baktainer.backup.retention.days": "14", "baktainer.backup.priority": "high"},
			check: func(s Spec) bool {
				return s.Compress == "zstd" && s.Retention.Days != nil && *s.Retention.Days == 14 && s.Name == "myapp"
			},
			warned: []string{"baktainer.backup.priority"},
		},
		{
			name:   "retention count and no compression in the schema's words",
			labels: map[string]string{Backup: "true", Engine: "mysql", "baktainer.backup.retention.count": "5", "baktainer.backup.compress": "false"},
			check:  func(s Spec) bool { return s.Retention.Count != nil && *s.Retention.Count == 5 && s.Compress == "none" },
		},
		{
			name:   "the new label wins over the schema's",
			labels: map[string]string{Engine: "mysql", Compress: "gzip", "baktainer.backup.compress": "false", KeepDays: "7", "baktainer.backup.retention.days": "7"},
			check:  func(s Spec) bool { return s.Compress == "gzip" && *s.Retention.Days == 7 },
			warned: []string{"baktainer.backup.compress"},
		},
		{
			name:   "db.all with db.name=* (the schema's advice)",
			labels: map[string]string{Engine: "postgres", All: "true", Database: "*"},
			check:  func(s Spec) bool { return s.All && s.Database == "" },
		},
		{
			name:   "db.name=* alone means every database",
			labels: map[string]string{Engine: "mariadb", Database: "*"},
			check:  func(s Spec) bool { return s.All && s.Database == "" },
			warned: []string{Database},
		},
		{
			name:   "db.all with db.name for postgres: the database pg_dumpall connects to",
			labels: map[string]string{Engine: "postgresql", All: "true", Database: "app"},
			check:  func(s Spec) bool { return s.All && s.Database == "app" },
		},
		{
			name:   "db.all with db.name for mysql: ignored, with a note",
			labels: map[string]string{Engine: "mysql", All: "true", Database: "app"},
			check:  func(s Spec) bool { return s.All && s.Database == "" },
			warned: []string{Database},
		},
		{
			name:   "sqlite with the Ruby schema's user, password and db.all",
			labels: map[string]string{Engine: "sqlite", Database: "/data/app.db", User: "ruby-user", Password: "ruby-secret", All: "true"},
			check:  func(s Spec) bool { return s.Database == "/data/app.db" && s.User == "" && s.Password == "" && !s.All },
			warned: []string{All, Password, User},
		},
		{
			name:   "encrypt and the custom command",
			labels: map[string]string{Engine: "postgres", "baktainer.backup.encrypt": "true", "baktainer.command": "pg_dump x"},
			check:  func(s Spec) bool { return s.Engine == "postgres" },
			warned: []string{"baktainer.backup.encrypt", "baktainer.command"},
		},
		{
			name:   "values in one pair of quotes",
			labels: map[string]string{Backup: `"true"`, Engine: `'postgres'`, Database: `"app"`, KeepCount: `"3"`},
			check: func(s Spec) bool {
				return s.Backup && s.Engine == "postgres" && s.Database == "app" && *s.Retention.Count == 3
			},
			warned: []string{Backup, Engine, KeepCount, Database},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(tc.labels)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.check(spec) {
				t.Errorf("spec = %+v", spec)
			}
			var warned []string
			for _, w := range spec.Warnings {
				warned = append(warned, w.Label)
				for _, label := range []string{Password, User, Database} {
					if v := tc.labels[label]; len(v) > 1 && strings.Contains(w.Problem, v) {
						t.Errorf("warning %q repeats the value of %s", w, label)
					}
				}
			}
			if !sameSet(warned, tc.warned) {
				t.Errorf("warnings about %v, want %v: %v", warned, tc.warned, spec.Warnings)
			}
		})
	}
}

// #13: a baktainer.name the store cannot use as a directory name is turned into
// one by parse.MapBackupName, not refused; the warning shows the name used.
func TestNameMapped(t *testing.T) {
	for in, want := range map[string]string{
		`"MyApp"`:                "MyApp",
		`'shop'`:                 "shop",
		"my app":                 "my_app-",
		"../x":                   "_x-",
		"Bücher":                 "B_cher-",
		strings.Repeat("n", 150): strings.Repeat("n", parse.MaxNameLength-9) + "-",
	} {
		spec, err := Parse(map[string]string{Name: in})
		if err != nil {
			t.Errorf("%q refused: %v", in, err)
			continue
		}
		if !strings.HasPrefix(spec.Name, want) || parse.BackupName(spec.Name) != nil {
			t.Errorf("%q mapped to %q, want %q...", in, spec.Name, want)
		}
		if len(spec.Warnings) != 1 || !strings.Contains(spec.Warnings[0].Problem, spec.Name) {
			t.Errorf("%q: warnings %v do not show the name used, %q", in, spec.Warnings, spec.Name)
		}
	}
	if spec, _ := Parse(map[string]string{Name: "shop"}); spec.Name != "shop" || len(spec.Warnings) != 0 {
		t.Errorf("a good name changed: %+v", spec)
	}
}

func sameSet(a, b []string) bool {
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
