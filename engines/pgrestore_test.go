package engines

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
)

// psqlLike stands in for psql's handling of its input as far as Restore relies on
// it: it runs \echo lines (writing them out) and records everything it read.
type psqlLike struct {
	input string
	exit  error
}

func (p *psqlLike) Exec(_ context.Context, spec docker.ExecSpec) error {
	raw, err := io.ReadAll(spec.Stdin)
	if err != nil {
		return err
	}
	p.input = string(raw)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if msg, ok := strings.CutPrefix(sc.Text(), `\echo `); ok {
			_, _ = io.WriteString(spec.Stdout, msg+"\n")
		}
	}
	return p.exit
}

func (*psqlLike) Restart(context.Context, string) error { return nil }

// failingAfter gives data, then fails instead of ending.
type failingAfter struct {
	r   io.Reader
	err error
}

func (f failingAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// A pg_dump restore commits only after its input ended cleanly: the transaction is
// opened and committed in psql's input, and a read error ends the input before the
// COMMIT (psql --single-transaction would commit at any end of its input).
func TestPostgresRestoreCommitsOnlyAfterACleanEnd(t *testing.T) {
	dump := "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (id int);\n-- PostgreSQL database dump complete\n"
	target := Target{Container: docker.Container{ID: "c1", Name: "db"}}

	psql := &psqlLike{}
	if err := (Postgres{}).Restore(context.Background(), psql, target, strings.NewReader(dump)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(psql.input, "BEGIN;\n"+dump) || !strings.HasSuffix(psql.input, "\nCOMMIT;\n") {
		t.Errorf("psql's input is not the dump in one transaction:\n%s", psql.input)
	}

	mismatch := errors.New("checksum mismatch")
	psql = &psqlLike{}
	err := (Postgres{}).Restore(context.Background(), psql, target, failingAfter{strings.NewReader(dump), mismatch})
	if !errors.Is(err, mismatch) || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("Restore with a failing input = %v", err)
	}
	if strings.Contains(psql.input, "COMMIT") || strings.Contains(psql.input, `\echo`) {
		t.Errorf("psql was sent the end of the input after a read error:\n%s", psql.input)
	}

	// psql that stops short of the end without an error exit (e.g. its input ended
	// inside a COPY): no marker in its output, so no success.
	quiet := &quietRuntime{}
	if err := (Postgres{}).Restore(context.Background(), quiet, target, strings.NewReader(dump)); err == nil || !strings.Contains(err.Error(), "did not commit") {
		t.Errorf("Restore when psql never reached the end = %v", err)
	}
}

type quietRuntime struct{ psqlLike }

func (q *quietRuntime) Exec(_ context.Context, spec docker.ExecSpec) error {
	_, err := io.Copy(io.Discard, spec.Stdin)
	return err
}
