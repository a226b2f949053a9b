package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Postgres dumps one database with pg_dump as plain SQL, and restores it with psql in
// a single transaction that stops at the first error. It connects through the
// server's local socket inside the container, as the official image's own scripts do.
type Postgres struct{}

var _ Engine = Postgres{}

// Name implements Engine.
func (Postgres) Name() string { return "postgres" }

// Extension implements Engine.
func (Postgres) Extension() string { return "sql" }

// Validate implements Engine.
func (Postgres) Validate(spec labels.Spec) error {
	if spec.All && spec.Database != "" {
		return &labels.Error{Label: labels.Database, Value: spec.Database, Problem: "cannot be combined with baktainer.db.all=true"}
	}
	return nil
}

// Database implements Engine.
func (Postgres) Database(t Target) string {
	if t.Spec.All {
		return "all"
	}
	user := pick(t, t.Spec.User, labels.User, "postgres", "POSTGRES_USER")
	return pick(t, t.Spec.Database, labels.Database, user.Value, "POSTGRES_DB").Value
}

// ExampleLabels implements Engine.
func (Postgres) ExampleLabels() map[string]string {
	return map[string]string{
		labels.Backup:   "true",
		labels.Engine:   "postgres",
		labels.Database: "app",
		labels.User:     "postgres",
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

// env passes the password the way libpq reads it, never in argv.
func (c pgConn) env() []string {
	if c.password.Value == "" {
		return nil
	}
	return []string{"PGPASSWORD=" + c.password.Value}
}

// Dump implements Engine.
func (p Postgres) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	c, err := p.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	cmd := []string{"pg_dump", "--username", c.user.Value, "--dbname", c.database.Value,
		"--no-password", "--clean", "--if-exists"}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdout: w})
	if err != nil {
		return redact(fmt.Errorf("container %s: pg_dump of database %s as user %s, password from %s: %w",
			t.Container.Name, c.database, c.user, c.password.From, err), c.password.Value)
	}
	return nil
}

// Restore implements Engine.
func (p Postgres) Restore(ctx context.Context, ex Execer, t Target, r io.Reader) error {
	c, err := p.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	cmd := []string{"psql", "--username", c.user.Value, "--dbname", c.database.Value,
		"--no-password", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction"}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdin: r, Stdout: io.Discard})
	if err != nil {
		return redact(fmt.Errorf("container %s: psql restore into database %s as user %s, password from %s: %w",
			t.Container.Name, c.database, c.user, c.password.From, err), c.password.Value)
	}
	return nil
}

// pg_dump frames its plain output with these comments; the footer is written last,
// so a dump cut short lacks it.
var (
	pgHeader = []byte("-- PostgreSQL database dump")
	pgFooter = []byte("-- PostgreSQL database dump complete")
)

// ErrIncomplete is returned by CheckComplete for a dump that lacks its end marker.
var ErrIncomplete = errors.New("engines: dump is incomplete")

// CheckComplete implements Engine.
func (Postgres) CheckComplete(head, tail []byte) error {
	if !bytes.Contains(head, pgHeader) {
		return fmt.Errorf("%w: no pg_dump header at the start", ErrIncomplete)
	}
	if !bytes.Contains(tail, pgFooter) {
		return fmt.Errorf("%w: no %q footer at the end (cut short?)", ErrIncomplete, pgFooter)
	}
	return nil
}
