package engines

import (
	"errors"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Each engine refuses, by its label and with the reason, the dump options that
// change where or how the dump is written, connect elsewhere or set
// credentials, also abbreviated or spelled as the tool also reads them; the
// rest pass.
func TestDumpOptionsDenyList(t *testing.T) {
	for _, tc := range []struct {
		engine string
		opts   []string
		want   string // a fragment of the problem; "" for none
	}{
		{"postgres", []string{"--no-owner", "--exclude-table=audit*", "--schema-only"}, ""},
		{"postgres", []string{"--file=/tmp/x.sql"}, "--file is not allowed for postgres: it writes the dump somewhere other"},
		{"postgres", []string{"--fi=/tmp/x.sql"}, "abbreviates --file"},
		{"postgres", []string{"--format=custom"}, "changes the dump's format"},
		{"postgres", []string{"-Fc"}, "long option"},
		{"postgres", []string{"-f", "/tmp/x"}, "long option"},
		{"postgres", []string{"--exclude-table", "audit"}, "is not an option"},
		{"postgres", []string{"--"}, "ends the options"},
		{"postgres", []string{"--host=evil.example"}, "connects elsewhere"},
		{"postgres", []string{"--dbname=host=evil"}, "connects elsewhere"},
		{"postgres", []string{"--compress=9"}, "compresses the dump"},
		{"postgres", []string{"--create"}, "create and connect"},
		{"postgres", []string{"--exclude-database=x"}, "baktainer.db.exclude"},
		{"mariadb", []string{"--skip-lock-tables", "--ignore-table=app.audit"}, ""},
		{"mariadb", []string{"--result-file=/tmp/x"}, "--result-file is not allowed for mysql and mariadb"},
		{"mariadb", []string{"--result_file=/tmp/x"}, "--result-file is not allowed"},
		{"mysql", []string{"--loose-result-file=/tmp/x"}, "--result-file is not allowed"},
		{"mysql", []string{"--res=/tmp/x"}, "abbreviates --result-file"},
		{"mysql", []string{"--tab=/tmp"}, "one file per table"},
		{"mysql", []string{"--xml"}, "format"},
		{"mysql", []string{"--skip-comments"}, "header and footer comments"},
		{"mysql", []string{"--compact"}, "header and footer comments"},
		{"mysql", []string{"--all-databases"}, "chooses databases"},
		{"mysql", []string{"--defaults-extra-file=/x"}, "option file"},
		{"mysql", []string{"--password=x"}, "credentials"},
		{"mongodb", []string{"--excludeCollection=logs"}, ""},
		{"mongodb", []string{"--out=/tmp"}, "--out is not allowed for mongodb"},
		{"mongodb", []string{"--archive=/tmp/a"}, "--archive itself"},
		{"mongodb", []string{"--gzip"}, "compresses the archive"},
		{"mongodb", []string{"--uri=mongodb://evil"}, "connects elsewhere"},
		{"sqlite", []string{"--x"}, "not supported for sqlite"},
		{"redis", []string{"--x"}, "not supported for redis"},
	} {
		eng, err := Default().Lookup(tc.engine)
		if err != nil {
			t.Fatal(err)
		}
		spec := labels.Spec{Engine: tc.engine, DumpOptions: tc.opts}
		if tc.engine == "sqlite" {
			spec.Database = "/data/app.db"
		}
		err = eng.Validate(spec)
		var le *labels.Error
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q: refused: %v", tc.engine, tc.opts, err)
		case tc.want == "":
		case err == nil || !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s %q: err = %v, want %q", tc.engine, tc.opts, err, tc.want)
		case !errors.As(err, &le) || le.Label != labels.DumpOptions:
			t.Errorf("%s %q: err %v does not name %s", tc.engine, tc.opts, err, labels.DumpOptions)
		}
	}
}

// The options reach the tool's argv after baktainer's own, and before the
// database names (MySQL's "--"), as separate words.
func TestDumpOptionsReachTheTool(t *testing.T) {
	for _, tc := range []struct {
		engine string
		spec   labels.Spec
		want   string // the argv, joined with spaces
	}{
		{"postgres", labels.Spec{Database: "app", DumpOptions: []string{"--no-owner", "--exclude-table=a b"}},
			"pg_dump --username=postgres --no-password --clean --if-exists --no-owner --exclude-table=a b"},
		{"mariadb", labels.Spec{Database: "app", DumpOptions: []string{"--skip-lock-tables"}},
			"mariadb-dump --user=root --default-character-set=utf8mb4 --single-transaction --routines --triggers --events --hex-blob --skip-lock-tables --no-tablespaces -- app"},
		{"mongodb", labels.Spec{Database: "app", DumpOptions: []string{"--excludeCollection=logs"}},
			"mongodump --archive --quiet --db=app --excludeCollection=logs"},
	} {
		eng, _ := Default().Lookup(tc.engine)
		tc.spec.Engine = tc.engine
		f := &fakeRuntime{reply: func(cmd []string, _ string) (string, error) { return "", nil }}
		target := Target{Container: docker.Container{ID: "id", Name: "db", Env: map[string]string{}}, Spec: tc.spec}
		if err := eng.Dump(t.Context(), f, target, &strings.Builder{}); err != nil {
			t.Fatalf("%s: %v", tc.engine, err)
		}
		last := f.calls[len(f.calls)-1]
		if got := strings.Join(last.Cmd, " "); got != tc.want {
			t.Errorf("%s argv:\n got %s\nwant %s", tc.engine, got, tc.want)
		}
	}
}
