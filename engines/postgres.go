package engines

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Postgres dumps one database with pg_dump, or with baktainer.db.all=true the whole
// cluster (every database, the roles and tablespaces) with pg_dumpall, as plain SQL.
// psql restores either, stopping at the first error. It connects through the
// server's local socket inside the container, as the official image's own scripts do.
type Postgres struct{}

var _ Engine = Postgres{}

// Name implements Engine.
func (Postgres) Name() string { return "postgres" }

// Extension implements Engine.
func (Postgres) Extension() string { return "sql" }

// Validate implements Engine. Next to baktainer.db.all=true, baktainer.db.name is
// the database pg_dumpall connects to first; pg_dumpall reads that name as a
// connection string when it looks like one (libpq's expand_dbname), so a URI is
// refused ('=' is refused by the label's parser).
func (Postgres) Validate(spec labels.Spec) error {
	var errs []error
	lower := strings.ToLower(spec.Database)
	if spec.All && (strings.HasPrefix(lower, "postgresql://") || strings.HasPrefix(lower, "postgres://")) {
		errs = append(errs, &labels.Error{Label: labels.Database, Value: spec.Database,
			Problem: "must be a database name, not a connection URI (with baktainer.db.all=true it names the database pg_dumpall connects to)"})
	}
	errs = append(errs, checkOptions("postgres", spec.DumpOptions, pgDenied, nil))
	return errors.Join(errs...)
}

// Database implements Engine.
func (Postgres) Database(t Target) string {
	if t.Spec.All {
		return "all"
	}
	user := pick(t, t.Spec.User, labels.User, "postgres", "POSTGRES_USER")
	return pick(t, t.Spec.Database, labels.Database, user.Value, "POSTGRES_DB").Value
}

// Example implements Engine.
func (Postgres) Example() Example {
	return Example{
		Comment: []string{
			"Postgres, backed up by baktainer with pg_dump (baktainer.db.all: \"true\" for every",
			"database plus the roles, with pg_dumpall). The password is read from the image's own",
			"POSTGRES_PASSWORD_FILE; it never appears in a label or on a command line.",
		},
		Service:     "db",
		Image:       "postgres:16",
		Environment: map[string]string{"POSTGRES_DB": "app", "POSTGRES_PASSWORD_FILE": SecretPath("db_password")},
		Secrets:     []string{"db_password"},
		DataDir:     "/var/lib/postgresql/data",
		Labels: map[string]string{
			labels.Backup:   "true",
			labels.Engine:   "postgres",
			labels.Database: "app",
		},
	}
}

// pgConn is how to reach the target's server.
type pgConn struct {
	user, database, password setting
}

func (Postgres) conn(ctx context.Context, ex Execer, t Target) (pgConn, error) {
	user := pick(t, t.Spec.User, labels.User, "postgres", "POSTGRES_USER")
	db := pick(t, t.Spec.Database, labels.Database, user.Value, "POSTGRES_DB")
	password, err := secret(ctx, ex, t, "POSTGRES_PASSWORD")
	if err != nil {
		return pgConn{}, err
	}
	return pgConn{user: user, database: db, password: password}, nil
}

// env passes the database and the password the way libpq reads them, never in
// argv: libpq reads a --dbname value with "=" or a postgresql:// prefix as
// connection settings (another host, to which it would send the password), but
// PGDATABASE always as a plain name.
func (c pgConn) env() []string {
	env := []string{"PGDATABASE=" + c.database.Value}
	if c.password.Value != "" {
		env = append(env, "PGPASSWORD="+c.password.Value)
	}
	return env
}

// Dump implements Engine.
func (p Postgres) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	c, err := p.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	// --clean --if-exists: the dump replaces what it restores, in a fresh or a used
	// server. Values travel as --option=value (one word, never read as an option);
	// the database in PGDATABASE (see env).
	cmd, what, err := p.dumpCommand(ctx, ex, t, c)
	if err != nil {
		return err
	}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdout: w})
	if notStarted(err) {
		return missingTool(t, "postgres", cmd[0])
	}
	if err != nil {
		return redact(fmt.Errorf("container %s: %s of %s as user %s, password from %s: %w",
			t.Container.Name, cmd[0], what, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value, c.database.Value)...)
	}
	return nil
}

// dumpCommand is the argv of t's dump and what it dumps, for messages: pg_dump
// of one database, or pg_dumpall of every database (those t selects), or of
// the globals alone; then baktainer.db.options.
func (Postgres) dumpCommand(ctx context.Context, ex Execer, t Target, c pgConn) ([]string, string, error) {
	cmd := []string{"pg_dump", "--username=" + c.user.Value, "--no-password", "--clean", "--if-exists"}
	what := "database " + c.database.String()
	if t.Spec.All {
		cmd = []string{"pg_dumpall", "--username=" + c.user.Value, "--no-password", "--clean", "--if-exists"}
		what = "every database (label " + labels.All + ")"
		if t.Spec.Database != "" { // else pg_dumpall's own choice: postgres, then template1
			cmd = append(cmd, "--database="+t.Spec.Database)
			what += ", connecting to database " + t.Spec.Database + " first (label " + labels.Database + ")"
		}
	}
	switch {
	case t.GlobalsOnly:
		cmd = append(cmd, "--globals-only")
		what = "the roles and tablespaces (label " + labels.Split + ")"
	case t.Spec.All && selects(t):
		args, err := Postgres{}.pgSelectionArgs(ctx, ex, t, c)
		if err != nil {
			return nil, "", err
		}
		cmd = append(cmd, args...)
		what = "the databases labels " + labels.Include + " and " + labels.Exclude + " select"
	}
	return append(cmd, t.Spec.DumpOptions...), what, nil
}

// Restore implements Engine. A pg_dump dump is restored into the target's database
// in one transaction, opened and committed in psql's input so that it commits only
// when r ends cleanly (a verifying reader ends in an error instead when the archive
// is damaged or changed: see pgInput); a pg_dumpall dump through the postgres
// database, as its script expects, one statement at a time (CREATE DATABASE cannot
// run in a transaction), with its role statements made repeatable (see roleFilter).
// Either way psql stops at the first error, and a read error of r fails the restore.
func (p Postgres) Restore(ctx context.Context, rt Runtime, t Target, r io.Reader) error {
	c, err := p.conn(ctx, rt, t)
	if err != nil {
		return err
	}
	in := bufio.NewReaderSize(r, 64<<10)
	head, _ := in.Peek(recordSize) // a short or failed read shows as an unknown kind below
	var dump io.Reader = in
	// The database goes through PGDATABASE (c.env), never argv: see Dump.
	cmd := []string{"psql", "--username=" + c.user.Value, "--no-password", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"}
	kind := pgDumpKind(head)
	switch kind {
	case pgCluster:
		c.database = setting{"postgres", "pg_dumpall's own convention"}
		dump = newRoleFilter(in)
	case pgDatabase:
	default:
		return fmt.Errorf("container %s: restore: the archive does not start like a pg_dump or pg_dumpall dump", t.Container.Name)
	}
	stdin := newPgInput(dump, kind == pgDatabase)
	output := &tailBuffer{max: 4 << 10}
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdin: stdin, Stdout: output})
	switch {
	case notStarted(err):
		return missingTool(t, "postgres", "psql")
	case stdin.err != nil:
		outcome := "rolled back"
		if kind == pgCluster {
			outcome = "stopped part way: a cluster restore cannot run in one transaction"
		}
		return fmt.Errorf("container %s: restore aborted (%s): %w", t.Container.Name, outcome, stdin.err)
	case err != nil:
		return redact(fmt.Errorf("container %s: psql restore into database %s as user %s, password from %s: %w",
			t.Container.Name, c.database, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value, c.database.Value)...)
	case !stdin.committed(output.buf):
		return fmt.Errorf("container %s: psql ended before the end of its input: the restore did not commit", t.Container.Name)
	}
	return nil
}

// pg_dump and pg_dumpall frame their plain output with these comments; the footer
// is written last, so a dump cut short lacks it. A cluster dump holds the database
// footer once per database, so only its own footer counts.
var (
	pgHeader        = []byte("-- PostgreSQL database dump")
	pgFooter        = []byte("-- PostgreSQL database dump complete")
	pgClusterHeader = []byte("-- PostgreSQL database cluster dump")
	pgClusterFooter = []byte("-- PostgreSQL database cluster dump complete")
)

type pgKind int

const (
	pgUnknown pgKind = iota
	pgDatabase
	pgCluster
)

func pgDumpKind(head []byte) pgKind {
	switch {
	case bytes.Contains(head, pgClusterHeader):
		return pgCluster
	case bytes.Contains(head, pgHeader):
		return pgDatabase
	}
	return pgUnknown
}

// CheckComplete implements Engine.
func (Postgres) CheckComplete(head, tail []byte) error {
	switch pgDumpKind(head) {
	case pgCluster:
		if !bytes.Contains(tail, pgClusterFooter) {
			return fmt.Errorf("%w: no %q footer at the end (cut short?)", ErrIncomplete, pgClusterFooter)
		}
	case pgDatabase:
		if !bytes.Contains(tail, pgFooter) {
			return fmt.Errorf("%w: no %q footer at the end (cut short?)", ErrIncomplete, pgFooter)
		}
	default:
		return fmt.Errorf("%w: no pg_dump or pg_dumpall header at the start", ErrIncomplete)
	}
	return nil
}
