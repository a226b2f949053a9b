package engines

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// A mysqldump or mariadb-dump dump holds a table's rows in INSERT statements, one
// parenthesised tuple per row ("INSERT INTO `t` VALUES (1,'a'),(2,'b');", the
// tuples on one line or, in newer versions, one per line). Counting the rows is
// counting the tuples at the statement's top level, outside quoted strings (which
// escape with backslashes, and may hold parentheses). Tables without rows are
// known by their CREATE TABLE line; a dump of every database switches databases
// with USE lines.

var (
	mysqlToolLine   = regexp.MustCompile(`^-- ((?:MySQL|MariaDB) dump \S+ +Distrib [^\s,]+)`)
	mysqlInsertHead = []byte("INSERT INTO `")
)

// mysqlServerKept are tables the server fills in itself (persistent InnoDB
// statistics): what a restore leaves in them is not what the dump held.
var mysqlServerKept = map[[2]string]bool{{"mysql", "innodb_index_stats"}: true, {"mysql", "innodb_table_stats"}: true}

// mysqlMaxLine is how much of a line outside an INSERT the counter keeps.
const mysqlMaxLine = 4096

// countMySQL returns the parser for a dump of database ("all" for every database;
// a one-database dump also names its database in its header).
func countMySQL(database string) parseFunc {
	return func(r *bufio.Reader) (*store.Contents, error) {
		m := mysqlCounter{db: database, r: r}
		return m.parse()
	}
}

type mysqlCounter struct {
	r    *bufio.Reader
	db   string
	tool string
	set  tableSet
}

func (m *mysqlCounter) parse() (*store.Contents, error) {
	line := make([]byte, 0, mysqlMaxLine)
	for {
		b, err := m.r.ReadByte()
		if err == io.EOF {
			if err := m.line(line); err != nil {
				return nil, err
			}
			return &store.Contents{Tool: m.tool, Databases: m.set.dbs}, nil
		}
		if err != nil {
			return nil, err
		}
		if b == '\n' {
			if err := m.line(line); err != nil {
				return nil, err
			}
			line = line[:0]
			continue
		}
		if len(line) < mysqlMaxLine {
			line = append(line, b)
		}
		if len(line) == len(mysqlInsertHead) && bytes.Equal(line, mysqlInsertHead) {
			if err := m.insert(); err != nil {
				return nil, err
			}
			line = line[:0]
		}
	}
}

// line handles a whole line outside any INSERT.
func (m *mysqlCounter) line(line []byte) error {
	switch {
	case bytes.HasPrefix(line, []byte("CREATE TABLE `")):
		name, ok := mysqlName(line[len("CREATE TABLE "):])
		if !ok {
			return fmt.Errorf("engines: a CREATE TABLE line mysqldump would not write: %.80q", line)
		}
		return m.add(name, 0)
	case bytes.HasPrefix(line, []byte("USE `")):
		name, ok := mysqlName(line[len("USE "):])
		if !ok {
			return fmt.Errorf("engines: a USE line mysqldump would not write: %.80q", line)
		}
		m.db = name
		m.set.database(name)
	case bytes.HasPrefix(line, []byte("-- ")) && len(m.set.dbs) == 0:
		// The header, before any table: the tool, and the database of a dump of one.
		if t := mysqlToolLine.FindSubmatch(line); t != nil && m.tool == "" {
			m.tool = string(t[1])
		}
		if name, single := mysqlDumpedDatabase(line); single {
			m.db = name
		}
	}
	return nil
}

// mysqlName reads a backquoted name (“ for a backquote) at the start of b.
func mysqlName(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '`' {
		return "", false
	}
	var name strings.Builder
	for i := 1; i < len(b); i++ {
		if b[i] != '`' {
			name.WriteByte(b[i])
			continue
		}
		if i+1 < len(b) && b[i+1] == '`' {
			name.WriteByte('`')
			i++
			continue
		}
		return name.String(), name.Len() > 0 && name.Len() <= maxNameLen
	}
	return "", false
}

// insert reads an INSERT statement after its "INSERT INTO `" and adds its tuples
// to the table's rows.
func (m *mysqlCounter) insert() error {
	name, err := m.insertTable()
	if err != nil {
		return err
	}
	if err := m.skipPast([]byte("VALUES")); err != nil {
		return err
	}
	rows, err := m.tuples()
	if err != nil {
		return fmt.Errorf("engines: INSERT INTO %s: %w", name, err)
	}
	return m.add(name, rows)
}

// add counts rows of a table of the current database.
func (m *mysqlCounter) add(table string, rows int64) error {
	if mysqlServerKept[[2]string{m.db, table}] {
		return nil
	}
	return m.set.add(m.db, "", table, rows)
}

func (m *mysqlCounter) insertTable() (string, error) {
	var name []byte
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return "", fmt.Errorf("engines: the dump ends inside an INSERT: %w", io.ErrUnexpectedEOF)
		}
		if b == '`' {
			if next, _ := m.r.Peek(1); len(next) == 1 && next[0] == '`' {
				_, _ = m.r.ReadByte()
			} else {
				return string(name), nil
			}
		}
		if name = append(name, b); len(name) > maxNameLen {
			return "", fmt.Errorf("engines: an INSERT's table name longer than %d bytes", maxNameLen)
		}
	}
}

// skipPast reads up to and including word, which must come within a short distance
// (a column list may stand before it).
func (m *mysqlCounter) skipPast(word []byte) error {
	var seen []byte
	for n := 0; n < 64<<10; n++ {
		b, err := m.r.ReadByte()
		if err != nil {
			break
		}
		seen = append(seen, b)
		if bytes.HasSuffix(seen, word) {
			return nil
		}
		if len(seen) > 2*len(word) {
			seen = seen[len(seen)-len(word):]
		}
	}
	return fmt.Errorf("engines: an INSERT without VALUES")
}

// tuples counts the top-level tuples up to the statement's ";". It scans what the
// reader holds a buffer at a time: values are most of a dump's bytes.
func (m *mysqlCounter) tuples() (int64, error) {
	var t tupleScan
	for {
		if m.r.Buffered() == 0 {
			if _, err := m.r.Peek(1); err != nil {
				return 0, fmt.Errorf("the dump ends inside the statement: %w", io.ErrUnexpectedEOF)
			}
		}
		buf, _ := m.r.Peek(m.r.Buffered())
		end, err := t.scan(buf)
		if err != nil {
			return 0, err
		}
		if end >= 0 {
			_, _ = m.r.Discard(end + 1)
			return t.rows, nil
		}
		_, _ = m.r.Discard(len(buf))
	}
}

// tupleScan follows an INSERT's values across buffers.
type tupleScan struct {
	rows       int64
	depth      int
	quote      byte // the quote of the string being read; 0 outside strings
	escaped    bool // the previous byte in a string was a backslash
	quoteEnded bool // the previous byte closed the string, unless this one doubles it
}

// scan reads buf and returns the index of the statement's ";", or -1.
func (t *tupleScan) scan(buf []byte) (int, error) {
	for i, b := range buf {
		if t.quoteEnded {
			t.quoteEnded = false
			if b == t.quote { // a doubled quote stays inside the string
				continue
			}
			t.quote = 0
		}
		if t.quote != 0 {
			switch {
			case t.escaped:
				t.escaped = false
			case b == '\\':
				t.escaped = true
			case b == t.quote:
				t.quoteEnded = true
			}
			continue
		}
		switch b {
		case '\'', '"':
			t.quote = b
		case '(':
			if t.depth == 0 {
				t.rows++
			}
			t.depth++
		case ')':
			if t.depth--; t.depth < 0 {
				return 0, fmt.Errorf("unbalanced parentheses")
			}
		case ';':
			if t.depth == 0 {
				return i, nil
			}
		}
	}
	return -1, nil
}
