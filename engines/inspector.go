package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// Inspector is what proving and guiding a restore needs from an engine, beyond
// Engine: counting a dump as it streams, running a throwaway server to restore it
// into, and looking at what a database holds. Every engine of Default implements
// it; the registry hands it out (Registry.Inspector).
//
// Like Engine, implementations run the engine's own tools through the Execer, as
// an argv, with secrets in the exec environment or stdin only, and read every
// answer with a cap.
type Inspector interface {
	// NewCounter returns a Counter for a dump of database (as Engine.Database
	// names it): what it counts is recorded in the archive's metadata.
	NewCounter(database string) *Counter
	// Scratch says how to run a throwaway server of this engine, from the image
	// the dump was made with, and prove a restore into it. It returns an error
	// wrapping ErrNotSupported for an engine that cannot be proven here.
	Scratch(d ScratchDump) (Scratch, error)
	// Survey returns what t holds now: for each database a restore of a dump
	// holding want would write (every user database when want is nil), its tables
	// with their exact rows (rows when exact; -1 otherwise) or its keys. A database
	// that does not exist is left out. It only reads.
	Survey(ctx context.Context, ex Execer, t Target, want *store.Contents, exact bool) (*store.Contents, error)
	// SelectDatabase returns the part of a dump of every database that restores
	// database name alone, shaped as a dump of that one database (which Restore
	// then loads into the target's database). ErrNotSupported where the engine's
	// dumps hold one database only.
	// Closing the reader it returns ends its work.
	SelectDatabase(dump io.Reader, name string) (io.ReadCloser, error)
	// Split lists the parts of a split backup of t (baktainer.db.split=true):
	// each database t's include and exclude select, and any server-wide objects
	// a database's dump leaves out, each restorable alone (selection.go). An
	// error when none is selected; ErrNotSupported where a dump holds one
	// database only.
	Split(ctx context.Context, ex Execer, t Target) ([]Part, error)
}

// ErrNotSupported is returned for what an engine cannot do.
var ErrNotSupported = errors.New("engines: not supported for this engine")

// ScratchDump is what a scratch server is set up for.
type ScratchDump struct {
	Database string          // as Engine.Database named it at backup time: a name, "all", a file path
	Contents *store.Contents // what the dump holds, when known
	Password string          // a random password to set the server up with
}

// Scratch is how to run and check a throwaway server of an engine.
type Scratch struct {
	Env        []string    // the image's own variables that set the server up
	Entrypoint []string    // nil: the image's own
	Cmd        []string    // nil: the image's own
	Spec       labels.Spec // the labels the restore reads (database, all)
	// Ready returns nil once the server accepts connections (it is called until
	// it does or time runs out).
	Ready func(ctx context.Context, ex Execer, t Target) error
	// Prepare, when set, runs once before the restore (roles a dump needs, the
	// directory of a database file).
	Prepare func(ctx context.Context, rt Runtime, t Target) error
	// Input, when set, wraps the dump on its way into the scratch server.
	Input func(io.Reader) io.Reader
	// Integrity, when set, runs the engine's own checks of the restored data.
	Integrity func(ctx context.Context, ex Execer, t Target) []Check
}

// Check is the result of one check of a restored database.
type Check struct {
	Name    string // what was checked, e.g. "rows of app.public.people"
	Err     error  // nil when it passed
	Detail  string // what was found
	Skipped bool   // the check could not run here (Detail says why); not a failure
}

// Passed reports whether the check passed (or was skipped).
func (c Check) Passed() bool { return c.Err == nil }

// Inspector returns the Inspector of the engine registered as name.
func (r *Registry) Inspector(name string) (Inspector, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e, nil // every engine is one; what it cannot do, it says (ErrNotSupported)
}

// NewCounter returns a Counter for a dump of database by the engine named
// engine, or nil (a Counter that counts nothing) for an engine that does not count.
func NewCounter(engine, database string) *Counter {
	in, err := Default().Inspector(engine)
	if err != nil {
		return nil
	}
	return in.NewCounter(database)
}

// surveyLimit bounds what a survey reads from a container (a name and a count a
// table, hex-encoded).
const surveyLimit = 16 << 20

// query runs argv in t's container with stdin and returns its output, read with
// surveyLimit as its cap.
func query(ctx context.Context, ex Execer, t Target, env []string, user string, stdin string, argv ...string) (string, error) {
	var out bytes.Buffer
	spec := docker.ExecSpec{Container: t.Container.ID, Cmd: argv, Env: env, User: user, Stdout: &out, MaxOutput: surveyLimit}
	if stdin != "" {
		spec.Stdin = bytes.NewReader([]byte(stdin))
	}
	err := ex.Exec(ctx, spec)
	return out.String(), err
}

// CompareContents checks what a restore left (got) against what the dump held
// (want): every database and table is there, with as many rows (or keys) as the
// dump held. One Check per database and table, named so a failure says what.
func CompareContents(want, got *store.Contents) []Check {
	var checks []Check
	for _, w := range want.Databases {
		g, ok := got.Database(w.Name)
		name := "database " + w.Name
		if !ok {
			checks = append(checks, Check{Name: name + " exists", Err: errors.New("it is not there after the restore")})
			continue
		}
		checks = append(checks, Check{Name: name + " exists", Detail: fmt.Sprintf("%d tables", len(g.Tables))})
		if w.Keys > 0 || g.Keys > 0 {
			checks = append(checks, compareKeys(w, g))
		}
		have := map[[2]string]int64{}
		for _, t := range g.Tables {
			have[[2]string{t.Schema, t.Name}] = t.Rows
		}
		for _, t := range w.Tables {
			checks = append(checks, compareRows(w.Name, t, have))
		}
	}
	return checks
}

func compareRows(db string, want store.TableRows, have map[[2]string]int64) Check {
	name := TableName(db, want)
	rows, ok := have[[2]string{want.Schema, want.Name}]
	switch {
	case !ok:
		return Check{Name: "table " + name, Err: errors.New("missing after the restore")}
	case rows != want.Rows:
		return Check{Name: "rows of " + name, Err: fmt.Errorf("expected %d, the restored table has %d", want.Rows, rows)}
	}
	return Check{Name: "rows of " + name, Detail: fmt.Sprintf("%d", rows)}
}

func compareKeys(want, got store.DatabaseContents) Check {
	name := "keys of database " + want.Name
	// Keys whose time to live ran out since the backup are not loaded.
	if got.Keys > want.Keys || got.Keys < want.Keys-want.ExpiringKeys {
		return Check{Name: name, Err: fmt.Errorf("expected %d (%d with a time to live), the restored database has %d",
			want.Keys, want.ExpiringKeys, got.Keys)}
	}
	return Check{Name: name, Detail: fmt.Sprintf("%d", got.Keys)}
}

// TableName names a table for messages: database.schema.table.
func TableName(db string, t store.TableRows) string {
	name := t.Name
	if t.Schema != "" {
		name = t.Schema + "." + name
	}
	if db != "" {
		name = db + "." + name
	}
	return name
}

// Uninspected is embedded by an engine that cannot count, prove or survey (the
// tests' stand-ins): each Inspector method says ErrNotSupported, and its counter
// counts nothing.
type Uninspected struct{}

// NewCounter implements Inspector: nil counts nothing.
func (Uninspected) NewCounter(string) *Counter { return nil }

// Scratch implements Inspector.
func (Uninspected) Scratch(ScratchDump) (Scratch, error) { return Scratch{}, ErrNotSupported }

// Survey implements Inspector.
func (Uninspected) Survey(context.Context, Execer, Target, *store.Contents, bool) (*store.Contents, error) {
	return nil, ErrNotSupported
}

// SelectDatabase implements Inspector.
func (Uninspected) SelectDatabase(io.Reader, string) (io.ReadCloser, error) {
	return nil, ErrNotSupported
}
