package engines

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

var _ Inspector = MySQL{}

// NewCounter implements Inspector.
func (MySQL) NewCounter(database string) *Counter { return newCounter(countMySQL(database)) }

// mysqlSystemSchemas are the server's own: never the user's data, never dumped
// (but mysql, which --all-databases dumps).
var mysqlSystemSchemas = []string{"mysql", "information_schema", "performance_schema", "sys"}

// Scratch implements Inspector: root's password and, for a dump of one database,
// that database through the image's own variables. A dump of every database brings
// the source's accounts; its FLUSH PRIVILEGES is left out in the scratch server,
// so the accounts are restored (and counted) but do not take effect, and the
// checks still log in with the scratch server's own password.
func (m MySQL) Scratch(d ScratchDump) (Scratch, error) {
	s := Scratch{
		Env:   []string{"MYSQL_ROOT_PASSWORD=" + d.Password},
		Spec:  labels.Spec{Engine: "mysql", All: true},
		Ready: m.ready,
		Input: func(r io.Reader) io.Reader { return withoutFlushPrivileges(r) },
	}
	if d.Database != "all" {
		s.Env = append(s.Env, "MYSQL_DATABASE="+d.Database)
		s.Spec = labels.Spec{Engine: "mysql", Database: d.Database}
	}
	return s, nil
}

// ready waits for the server proper: the image's first start runs a temporary
// server without networking, so TCP tells them apart. mysqladmin ping succeeds
// even when it is refused access, so it needs no credentials.
func (MySQL) ready(ctx context.Context, ex Execer, t Target) error {
	tool, err := findTool(ctx, ex, t, "mysql", "mariadb-admin", "mysqladmin")
	if err != nil {
		return err
	}
	_, err = output(ctx, ex, t, nil, "", tool, "--protocol=tcp", "--host=127.0.0.1", "ping")
	return err
}

// withoutFlushPrivileges drops the dump's FLUSH PRIVILEGES lines (mysqldump
// writes them alone on a line, as a versioned comment).
func withoutFlushPrivileges(r io.Reader) io.ReadCloser {
	return selectSection(r, "", sectionFunc(func(line []byte) ([]byte, error) {
		if t := bytes.TrimSpace(line); bytes.HasPrefix(t, []byte("/*!")) && bytes.HasSuffix(t, []byte("FLUSH PRIVILEGES */;")) && len(t) < 40 {
			return nil, nil
		}
		return line, nil
	}))
}

// sectionFunc is a sectioner that keeps what a function says, to the end.
type sectionFunc func(line []byte) ([]byte, error)

func (f sectionFunc) keep(line []byte) ([]byte, error) { return f(line) }
func (f sectionFunc) end() error                       { return nil }

// Survey implements Inspector.
func (m MySQL) Survey(ctx context.Context, ex Execer, t Target, want *store.Contents, exact bool) (*store.Contents, error) {
	c, err := m.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	client, err := findTool(ctx, ex, t, engineOf(t, "mysql"), "mariadb", "mysql")
	if err != nil {
		return nil, err
	}
	var scope string
	switch {
	case !t.Spec.All:
		scope = "= " + sqlString(c.database.Value)
	case want != nil:
		var names []string
		for _, d := range want.Databases {
			names = append(names, sqlString(d.Name))
		}
		scope = "IN (" + strings.Join(append(names, "''"), ", ") + ")"
	default:
		scope = "NOT IN ('" + strings.Join(mysqlSystemSchemas, "', '") + "')"
	}
	run := func(sql string) (string, error) {
		out, err := query(ctx, ex, t, c.env(), "", sql, client, "--user="+c.user.Value, "--default-character-set=utf8mb4", "--batch", "--skip-column-names")
		if err != nil {
			return "", redact(fmt.Errorf("container %s: survey with %s: %w", t.Container.Name, client, err), secretsOf(t, c.password, c.user.Value)...)
		}
		return out, nil
	}
	listed, err := run("SELECT HEX(table_schema), HEX(table_name) FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema " +
		scope + " ORDER BY 1, 2;\nSELECT HEX(schema_name) FROM information_schema.schemata WHERE schema_name " + scope + ";\n")
	if err != nil {
		return nil, err
	}
	out, tables := mysqlListed(listed)
	if exact && len(tables) > 0 {
		var sql strings.Builder
		for i, tb := range tables {
			if i > 0 {
				sql.WriteString(" UNION ALL ")
			}
			fmt.Fprintf(&sql, "SELECT %d, COUNT(*) FROM %s.%s", i, mysqlQuote(tb[0]), mysqlQuote(tb[1]))
		}
		counted, err := run(sql.String() + ";\n")
		if err != nil {
			return nil, err
		}
		mysqlCounts(out, tables, counted)
	}
	return out, nil
}

// mysqlListed reads the survey's listing: tab-separated hex(schema), hex(table)
// lines, then hex(schema) lines for the databases that exist.
func mysqlListed(text string) (*store.Contents, [][2]string) {
	out := &store.Contents{}
	var tables [][2]string
	db := func(name string) *store.DatabaseContents {
		for i := range out.Databases {
			if out.Databases[i].Name == name {
				return &out.Databases[i]
			}
		}
		out.Databases = append(out.Databases, store.DatabaseContents{Name: name})
		return &out.Databases[len(out.Databases)-1]
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = unhex(f)
		}
		switch len(names) {
		case 2:
			d := db(names[0])
			d.Tables = append(d.Tables, store.TableRows{Name: names[1], Rows: -1})
			tables = append(tables, [2]string{names[0], names[1]})
		case 1:
			db(names[0])
		}
	}
	return out, tables
}

// mysqlCounts fills in the rows from "i<TAB>count" lines.
func mysqlCounts(out *store.Contents, tables [][2]string, text string) {
	rows := map[[2]string]int64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var i int
		var n int64
		if _, err := fmt.Sscanf(sc.Text(), "%d\t%d", &i, &n); err == nil && i >= 0 && i < len(tables) {
			rows[tables[i]] = n
		}
	}
	for di := range out.Databases {
		d := &out.Databases[di]
		for ti := range d.Tables {
			if n, ok := rows[[2]string{d.Name, d.Tables[ti].Name}]; ok {
				d.Tables[ti].Rows = n
			}
		}
	}
}

// unhex decodes a hex field of a survey; "" when it is not hex.
func unhex(s string) string {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return string(b)
}

func mysqlQuote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// sqlString quotes s as an SQL string literal (standard quoting, and backslashes
// doubled for MySQL's default mode).
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// SelectDatabase implements Inspector for a dump of every database: the header,
// made to name the database, and that database's sections without their CREATE
// DATABASE and USE lines, so Restore loads them into the target's database.
func (MySQL) SelectDatabase(dump io.Reader, name string) (io.ReadCloser, error) {
	return selectSection(dump, "", &mysqlSections{name: name, header: true}), nil
}

type mysqlSections struct {
	name             string
	header, in, seen bool
}

func (s *mysqlSections) keep(line []byte) ([]byte, error) {
	if bytes.HasPrefix(line, []byte("-- Current Database: `")) {
		name, ok := mysqlName(bytes.TrimSpace(line[len("-- Current Database: "):]))
		s.header, s.in = false, ok && name == s.name
		s.seen = s.seen || s.in
		return nil, nil
	}
	switch {
	case s.header && bytes.HasPrefix(line, []byte("-- Host: ")):
		return []byte("-- Host: localhost    Database: " + s.name + "\n"), nil
	case s.header:
		return line, nil
	case !s.in, bytes.HasPrefix(line, []byte("CREATE DATABASE ")), bytes.HasPrefix(line, []byte("USE `")):
		return nil, nil
	}
	return line, nil
}

func (s *mysqlSections) end() error {
	if !s.seen {
		return fmt.Errorf("%w: the dump holds no database %q", ErrNoSuchDatabase, s.name)
	}
	return nil
}
