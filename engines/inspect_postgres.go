package engines

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

var _ Inspector = Postgres{}

// NewCounter implements Inspector.
func (Postgres) NewCounter(database string) *Counter { return newCounter(countPostgres(database)) }

// Scratch implements Inspector: the image's own entrypoint sets the server up
// with a random password and, for a dump of one database, that database; the
// roles the dump names are created before it is loaded.
func (p Postgres) Scratch(d ScratchDump) (Scratch, error) {
	s := Scratch{
		Env:   []string{"POSTGRES_PASSWORD=" + d.Password},
		Ready: p.ready,
	}
	if d.Database == "all" {
		s.Spec = labels.Spec{Engine: "postgres", All: true}
		return s, nil
	}
	s.Env = append(s.Env, "POSTGRES_DB="+d.Database)
	s.Spec = labels.Spec{Engine: "postgres", Database: d.Database}
	if db, ok := d.Contents.Database(d.Database); ok && len(db.Roles) > 0 {
		s.Prepare = func(ctx context.Context, rt Runtime, t Target) error { return p.createRoles(ctx, rt, t, db.Roles) }
	}
	return s, nil
}

// ready waits for the server proper: the official image's first start runs a
// temporary server on the local socket only, so TCP tells them apart.
func (Postgres) ready(ctx context.Context, ex Execer, t Target) error {
	_, err := output(ctx, ex, t, nil, "", "pg_isready", "--quiet", "--host=127.0.0.1")
	return err
}

// createRoles creates the roles a one-database dump names (owners, grantees), so
// its ALTER … OWNER TO and GRANT statements can run.
func (p Postgres) createRoles(ctx context.Context, rt Runtime, t Target, roles []string) error {
	var script strings.Builder
	for _, role := range roles[:min(len(roles), maxCountedRoles)] { // the metadata is read from a volume others may write
		if strings.ContainsAny(role, "\x00") || strings.Contains(role, doTag) {
			continue
		}
		fmt.Fprintf(&script, "DO %sBEGIN CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL; END%s;\n", doTag, pgQuote(role), doTag)
	}
	c, err := p.conn(ctx, rt, t)
	if err != nil {
		return err
	}
	c.database = setting{"postgres", "the server's own"}
	_, err = query(ctx, rt, t, c.env(), "", script.String(), p.psql(c)...)
	if err != nil {
		return fmt.Errorf("container %s: create the roles the dump names: %w", t.Container.Name, err)
	}
	return nil
}

func (Postgres) psql(c pgConn) []string {
	return []string{"psql", "--username=" + c.user.Value, "--no-password", "--no-psqlrc", "--quiet",
		"--set=ON_ERROR_STOP=1", "--no-align", "--tuples-only", "--field-separator=|"}
}

// pgTablesSQL lists the user tables of a database, names hex-encoded (so no
// name can break the output apart), with their exact rows when exact: count(*)
// of each, run inside the one query through query_to_xml.
func pgTablesSQL(exact bool) string {
	rows := "'-1'"
	if exact {
		rows = `(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text`
	}
	return `SELECT encode(convert_to(n.nspname, 'UTF8'), 'hex'), encode(convert_to(c.relname, 'UTF8'), 'hex'), ` + rows + `
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
ORDER BY 1, 2;
`
}

// Survey implements Inspector.
func (p Postgres) Survey(ctx context.Context, ex Execer, t Target, want *store.Contents, exact bool) (*store.Contents, error) {
	c, err := p.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	dbs := []string{c.database.Value}
	if t.Spec.All {
		if dbs, err = p.databases(ctx, ex, t, c, want); err != nil {
			return nil, err
		}
	}
	out := &store.Contents{}
	for _, db := range dbs {
		c.database = setting{db, "the survey"}
		text, err := query(ctx, ex, t, c.env(), "", pgTablesSQL(exact), p.psql(c)...)
		if err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				continue // a database the restore has yet to create
			}
			return nil, redact(fmt.Errorf("container %s: list the tables of database %q: %w", t.Container.Name, db, err),
				secretsOf(t, c.password, c.user.Value)...)
		}
		d, err := parseSurvey(db, text, 3)
		if err != nil {
			return nil, fmt.Errorf("container %s: database %q: %w", t.Container.Name, db, err)
		}
		out.Databases = append(out.Databases, d)
	}
	return out, nil
}

// databases lists the databases a cluster survey looks at: those of want, else
// every database that takes connections but templates.
func (p Postgres) databases(ctx context.Context, ex Execer, t Target, c pgConn, want *store.Contents) ([]string, error) {
	if want != nil {
		var names []string
		for _, d := range want.Databases {
			names = append(names, d.Name)
		}
		return names, nil
	}
	c.database = setting{"postgres", "the server's own"}
	text, err := query(ctx, ex, t, c.env(), "",
		"SELECT encode(convert_to(datname, 'UTF8'), 'hex') FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1;\n", p.psql(c)...)
	if err != nil {
		return nil, redact(fmt.Errorf("container %s: list the databases: %w", t.Container.Name, err), secretsOf(t, c.password, c.user.Value)...)
	}
	var names []string
	for _, line := range strings.Fields(text) {
		name, err := hex.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("container %s: list the databases: %q", t.Container.Name, line)
		}
		names = append(names, string(name))
	}
	return names, nil
}

// parseSurvey reads lines of hex(schema)|hex(table)|rows (fields 3) or
// hex(table)|rows (fields 2).
func parseSurvey(db, text string, fields int) (store.DatabaseContents, error) {
	d := store.DatabaseContents{Name: db}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != fields {
			return d, fmt.Errorf("unexpected survey line %.80q", line)
		}
		var names []string
		for _, h := range parts[:fields-1] {
			b, err := hex.DecodeString(h)
			if err != nil {
				return d, fmt.Errorf("unexpected survey line %.80q", line)
			}
			names = append(names, string(b))
		}
		rows, err := strconv.ParseInt(parts[fields-1], 10, 64)
		if err != nil {
			return d, fmt.Errorf("unexpected survey line %.80q", line)
		}
		t := store.TableRows{Name: names[len(names)-1], Rows: rows}
		if len(names) == 2 {
			t.Schema = names[0]
		}
		d.Tables = append(d.Tables, t)
	}
	return d, nil
}

// SelectDatabase implements Inspector for a pg_dumpall dump: the section of
// database name (from its \connect to the next database's), under a pg_dump
// header, so Restore loads it into the target's database in one transaction.
func (Postgres) SelectDatabase(dump io.Reader, name string) (io.ReadCloser, error) {
	return selectSection(dump, "-- PostgreSQL database dump\n", &pgSections{name: name}), nil
}

// pgSections tells, line by line, whether a line of a cluster dump belongs to the
// chosen database's section. COPY data is never read as a statement.
type pgSections struct {
	name          string
	in, seen, cpy bool
}

func (s *pgSections) keep(line []byte) ([]byte, error) {
	keep, err := s.inSection(strings.TrimRight(string(line), "\n"))
	if !keep || err != nil {
		return nil, err
	}
	return line, nil
}

func (s *pgSections) inSection(text string) (bool, error) {
	if s.cpy {
		s.cpy = text != `\.`
		return s.in, nil
	}
	switch {
	case strings.HasPrefix(text, "COPY ") && strings.HasSuffix(text, "FROM stdin;"):
		s.cpy = true
	case strings.HasPrefix(text, `\connect `):
		m := pgConnectLine.FindStringSubmatch(text)
		target := ""
		if m != nil {
			target = pgConnectTarget(m[1])
		}
		if target == s.name {
			s.in, s.seen = true, true
			return false, nil // the restore is connected to the target already
		}
		if s.in {
			return false, fmt.Errorf("engines: database %q's section connects to %q", s.name, target)
		}
	case strings.HasPrefix(text, `-- Database "`), text == string(pgClusterFooter):
		s.in = false
	}
	return s.in, nil
}

func (s *pgSections) end() error {
	if !s.seen {
		return fmt.Errorf("%w: the dump holds no database %q", ErrNoSuchDatabase, s.name)
	}
	return nil
}

// ErrNoSuchDatabase is wrapped by a selection that found nothing.
var ErrNoSuchDatabase = errors.New("engines: no such database in the dump")
