package engines

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// Postgres plain dumps hold each table's rows as a COPY block, one line per row
// (a newline inside a value is written as \n), ended by a line "\.". A cluster
// dump names each database in a \connect line before its objects. Counting the
// rows is counting the lines of each block.

var (
	// COPY public.people (id, name) FROM stdin;   — names as pg_dump's fmtId writes them.
	pgCopyLine = regexp.MustCompile(`^COPY ` + pgIdent + `\.` + pgIdent + `(?: \(.*\))? FROM stdin;$`)
	// \connect app, \connect "My DB", or \connect -reuse-previous=on "dbname='x'"
	pgConnectLine = regexp.MustCompile(`^\\connect (?:-reuse-previous=on )?(.+)$`)
	// ALTER TABLE public.people OWNER TO app;   GRANT SELECT ON TABLE public.people TO reader;
	pgOwnerLine = regexp.MustCompile(`^ALTER .* OWNER TO ` + pgIdent + `;$`)
	pgGrantLine = regexp.MustCompile(`^GRANT .* TO ` + pgIdent + `(?: WITH GRANT OPTION)?;$`)
	// -- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)
	pgToolLine = regexp.MustCompile(`^-- Dumped by (pg_dump(?:all)? version \S+)`)
)

// pgMaxLine is how much of a line the counter looks at: statements it reads are
// short; longer lines (row data) only need their start.
const pgMaxLine = 4096

// countPostgres returns the parser for a dump of database (for a one-database
// dump, whose text does not name its database).
func countPostgres(database string) parseFunc {
	return func(r *bufio.Reader) (*store.Contents, error) {
		p := pgCounter{db: database, roles: map[string]bool{}}
		return p.parse(r)
	}
}

type pgCounter struct {
	db      string
	tool    string
	cluster bool
	set     tableSet
	roles   map[string]bool
}

func (p *pgCounter) parse(r *bufio.Reader) (*store.Contents, error) {
	for {
		line, err := readLine(r, pgMaxLine)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if bytes.Equal(line, pgClusterHeader) {
			p.cluster = true
		}
		if err := p.line(r, line); err != nil {
			return nil, err
		}
	}
	return p.contents(), nil
}

// line handles one line outside a COPY block.
func (p *pgCounter) line(r *bufio.Reader, line []byte) error {
	switch {
	case bytes.HasPrefix(line, []byte("COPY ")):
		m := pgCopyLine.FindSubmatch(line)
		if m == nil {
			return fmt.Errorf("engines: a COPY line pg_dump would not write: %.80q", line)
		}
		// The line lives in the reader's buffer: take the names before reading on.
		schema, table := pgUnquote(string(m[1])), pgUnquote(string(m[2]))
		rows, err := pgCopyRows(r)
		if err != nil {
			return err
		}
		return p.set.add(p.db, schema, table, rows)
	case bytes.HasPrefix(line, []byte(`\connect `)):
		if m := pgConnectLine.FindSubmatch(line); m != nil {
			p.db = pgConnectTarget(string(m[1]))
			p.set.database(p.db) // a database without tables is still a database
		}
	case p.tool == "" && bytes.HasPrefix(line, []byte("-- Dumped by ")):
		if m := pgToolLine.FindSubmatch(line); m != nil {
			p.tool = string(m[1])
		}
	case !p.cluster && (bytes.HasPrefix(line, []byte("ALTER ")) || bytes.HasPrefix(line, []byte("GRANT "))):
		m := pgOwnerLine.FindSubmatch(line)
		if m == nil {
			m = pgGrantLine.FindSubmatch(line)
		}
		if m != nil && len(p.roles) < maxCountedRoles {
			if role := pgUnquote(string(m[1])); role != "PUBLIC" && role != "public" && !p.roles[role] {
				if err := p.set.spend(role); err != nil {
					return err
				}
				p.roles[role] = true
			}
		}
	}
	return nil
}

// pgCopyRows counts the lines of a COPY block up to its "\." line.
func pgCopyRows(r *bufio.Reader) (int64, error) {
	var rows int64
	for {
		line, err := readLine(r, 2)
		if err == io.EOF {
			return 0, fmt.Errorf("engines: the dump ends inside a COPY block")
		}
		if err != nil {
			return 0, err
		}
		if bytes.Equal(line, []byte(`\.`)) {
			return rows, nil
		}
		rows++
	}
}

func (p *pgCounter) contents() *store.Contents {
	if !p.cluster {
		d := p.set.database(p.db)
		for role := range p.roles {
			d.Roles = append(d.Roles, role)
		}
		sort.Strings(d.Roles)
	}
	return &store.Contents{Tool: p.tool, Databases: p.set.dbs}
}

// pgUnquote turns an identifier as pg_dump writes it into the name.
func pgUnquote(id string) string {
	if len(id) >= 2 && id[0] == '"' && id[len(id)-1] == '"' {
		return strings.ReplaceAll(id[1:len(id)-1], `""`, `"`)
	}
	return id
}

// pgConnectTarget reads the database of a \connect argument: a name, a quoted
// name, or pg_dump's "dbname='...'" connection string for names that need it.
func pgConnectTarget(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, `"dbname='`) && strings.HasSuffix(arg, `'"`) {
		v := arg[len(`"dbname='`) : len(arg)-2]
		v = strings.ReplaceAll(v, `""`, `"`) // psql's double quotes
		return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v)
	}
	return pgUnquote(arg)
}

// pgQuote quotes a name as an SQL identifier.
func pgQuote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
