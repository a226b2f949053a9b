package engines

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
)

// roleFilter streams a pg_dumpall script to psql, rewriting two kinds of statement
// in its globals section (everything before the first \connect) that pg_dumpall
// writes expecting them to fail harmlessly, as its own source says: "DROP ROLE IF
// EXISTS x" for the role the restore is connected as ("current user cannot be
// dropped"), and "CREATE ROLE x" for a role that already exists, always the case
// for that same role. Restores stop at the first error (ON_ERROR_STOP), so each
// becomes a DO block that tolerates exactly that error and no other:
//
//	DROP ROLE IF EXISTS x;  → … DROP ROLE IF EXISTS x; EXCEPTION WHEN object_in_use …
//	CREATE ROLE x;          → … CREATE ROLE x; EXCEPTION WHEN duplicate_object …
//
// The ALTER ROLE that follows every CREATE ROLE still sets the role's attributes
// and password, so an existing role ends up as the dump describes it. Every other
// line, and everything from the first \connect on, passes through untouched, in
// constant memory.
type roleFilter struct {
	src      *bufio.Reader
	line     []byte // the current line, rewritten, being handed out
	pending  []byte // what of line Read has not returned yet
	midLine  bool   // the last chunk ended without a newline (a long line)
	globals  bool   // still before the first \connect
	lex      sqlLexer
	finalErr error // the source's error, returned once pending is empty
}

func newRoleFilter(src *bufio.Reader) *roleFilter {
	return &roleFilter{src: src, globals: true}
}

// Read implements io.Reader.
func (f *roleFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.finalErr != nil {
			return 0, f.finalErr
		}
		if !f.globals {
			return f.src.Read(p)
		}
		f.next()
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// next reads one line (or, for a line longer than the buffer, one chunk of it).
func (f *roleFilter) next() {
	chunk, err := f.src.ReadSlice('\n')
	f.line = append(f.line[:0], chunk...)
	// Only a line that starts outside any quote or comment can be a statement.
	statement := !f.midLine && f.lex.state == lexCode
	f.lex.feed(f.line)
	switch {
	case err == bufio.ErrBufferFull:
		f.midLine = true
	case err != nil:
		f.finalErr = err // io.EOF included; a last line without a newline passes as it is
	case f.midLine:
		f.midLine = false
	case !statement:
	case bytes.HasPrefix(f.line, []byte(`\connect `)):
		f.globals = false
	default:
		f.line = rewriteRoleStatement(f.line)
	}
	f.pending = f.line
}

// A role name as pg_dumpall's fmtId writes it: plain, or double-quoted with
// embedded quotes doubled.
const pgIdent = `([a-z_][a-z0-9_$]*|"(?:[^"]|"")+")`

var (
	dropRoleLine   = regexp.MustCompile(`^DROP ROLE IF EXISTS ` + pgIdent + `;\n$`)
	createRoleLine = regexp.MustCompile(`^CREATE ROLE ` + pgIdent + `;\n$`)
)

// doTag quotes the DO blocks' bodies; a role name containing it is left alone.
const doTag = "$baktainer$"

func rewriteRoleStatement(line []byte) []byte {
	if bytes.Contains(line, []byte(doTag)) {
		return line
	}
	if m := dropRoleLine.FindSubmatch(line); m != nil {
		return []byte("DO " + doTag + "BEGIN DROP ROLE IF EXISTS " + string(m[1]) + "; " +
			"EXCEPTION WHEN object_in_use THEN RAISE NOTICE 'baktainer: kept role %, which runs this restore', current_user; " +
			"END" + doTag + ";\n")
	}
	if m := createRoleLine.FindSubmatch(line); m != nil {
		return []byte("DO " + doTag + "BEGIN CREATE ROLE " + string(m[1]) + "; " +
			"EXCEPTION WHEN duplicate_object THEN NULL; END" + doTag + ";\n")
	}
	return line
}

var _ io.Reader = (*roleFilter)(nil)

// sqlLexer follows just enough of SQL's lexical structure to tell whether a line of
// a pg_dumpall script starts a statement, or continues a string literal, a quoted
// identifier or a comment that happens to span lines (a role's COMMENT can).
type sqlLexer struct {
	state   int
	prev    byte
	escaped bool // in an E'...' literal, the previous byte was a backslash
}

const (
	lexCode      = iota
	lexComment   // -- to the end of the line
	lexString    // '...', with '' for a quote
	lexEscString // E'...', with backslash escapes
	lexIdent     // "...", with "" for a quote
)

func (l *sqlLexer) feed(p []byte) {
	for _, c := range p {
		switch l.state {
		case lexCode:
			switch {
			case c == '-' && l.prev == '-':
				l.state = lexComment
			case c == '\'' && (l.prev == 'E' || l.prev == 'e'):
				l.state = lexEscString
			case c == '\'':
				l.state = lexString
			case c == '"':
				l.state = lexIdent
			}
		case lexComment:
			if c == '\n' {
				l.state = lexCode
			}
		case lexString:
			if c == '\'' {
				l.state = lexCode // a doubled quote re-enters the literal at once
			}
		case lexEscString:
			switch {
			case l.escaped:
				l.escaped = false
			case c == '\\':
				l.escaped = true
			case c == '\'':
				l.state = lexCode
			}
		case lexIdent:
			if c == '"' {
				l.state = lexCode
			}
		}
		l.prev = c
		if l.state != lexCode {
			l.prev = 0 // what is quoted or commented is not code
		}
	}
}
