package engines

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

var _ Inspector = SQLite{}

// NewCounter implements Inspector.
func (SQLite) NewCounter(database string) *Counter { return newCounter(countSQLite(database)) }

// Scratch implements Inspector. The image is the application's: its own command
// would start the application, so the scratch container only idles (tail -f
// /dev/null, coreutils or busybox) while the engine's tools run in it.
func (s SQLite) Scratch(d ScratchDump) (Scratch, error) {
	if err := s.Validate(labels.Spec{Database: d.Database}); err != nil {
		return Scratch{}, fmt.Errorf("engines: the archive's database: %w", err)
	}
	return Scratch{
		Entrypoint: []string{"tail"},
		Cmd:        []string{"-f", "/dev/null"},
		Spec:       labels.Spec{Engine: "sqlite", Database: d.Database},
		Ready: func(ctx context.Context, ex Execer, t Target) error {
			_, err := findTool(ctx, ex, t, "sqlite", "sqlite3")
			return err
		},
		Prepare: func(ctx context.Context, rt Runtime, t Target) error {
			_, err := output(ctx, rt, t, nil, "", "mkdir", "-p", "--", path.Dir(d.Database))
			return err
		},
		Integrity: s.integrity,
	}, nil
}

// integrity runs PRAGMA integrity_check on the restored database.
func (s SQLite) integrity(ctx context.Context, ex Execer, t Target) []Check {
	check := Check{Name: "sqlite PRAGMA integrity_check"}
	verdict, err := output(ctx, ex, t, nil, "", "sqlite3", "-bail", sqliteReadOnly(t.Spec.Database), "PRAGMA integrity_check")
	switch {
	case err != nil:
		check.Err = err
	case verdict != "ok":
		check.Err = fmt.Errorf("it says %q", verdict)
	default:
		check.Detail = "ok"
	}
	return []Check{check}
}

// sqliteReadOnly opens p read-only: a survey never creates or changes a file.
func sqliteReadOnly(p string) string {
	return strings.TrimSuffix(sqliteURI(p), "?mode=rw") + "?mode=ro"
}

// Survey implements Inspector: the tables of the database file and, when exact,
// count(*) of each. A missing file is an empty survey.
func (s SQLite) Survey(ctx context.Context, ex Execer, t Target, _ *store.Contents, exact bool) (*store.Contents, error) {
	db, err := s.target(t)
	if err != nil {
		return nil, err
	}
	out := &store.Contents{}
	if _, err := fileOwner(ctx, ex, t, db); err != nil {
		return out, nil // no database file yet: nothing there
	}
	run := func(sql string) (string, error) {
		text, err := query(ctx, ex, t, nil, "", sql, "sqlite3", "-bail", "-batch", "-noheader", "-list", "-separator", "|", sqliteReadOnly(db))
		if err != nil {
			return "", fmt.Errorf("container %s: label %s=%q: survey with sqlite3: %w", t.Container.Name, labels.Database, db, err)
		}
		return text, nil
	}
	listed, err := run("SELECT hex(name), -1 FROM sqlite_schema WHERE type = 'table' AND rootpage > 0 ORDER BY name;\n")
	if err != nil {
		return nil, err
	}
	d, err := parseSurvey(db, listed, 2)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	if exact && len(d.Tables) > 0 {
		var sql strings.Builder
		for _, tb := range d.Tables {
			fmt.Fprintf(&sql, "SELECT hex(%s), count(*) FROM %s;\n", sqlString(tb.Name), pgQuote(tb.Name))
		}
		counted, err := run(sql.String())
		if err != nil {
			return nil, err
		}
		if d, err = parseSurvey(db, counted, 2); err != nil {
			return nil, fmt.Errorf("container %s: %w", t.Container.Name, err)
		}
	}
	out.Databases = append(out.Databases, d)
	return out, nil
}

// SelectDatabase implements Inspector: an SQLite dump is one database.
func (SQLite) SelectDatabase(io.Reader, string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("%w: an SQLite archive holds one database file", ErrNotSupported)
}

// Split implements Inspector: a sqlite backup is one database file.
func (SQLite) Split(context.Context, Execer, Target) ([]Part, error) { return nil, ErrNotSupported }
