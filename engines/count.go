package engines

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/store"
)

// A Counter counts what a dump holds (tables and rows, keys) from the dump stream
// itself as it is written, so a backup records its contents without a second
// pass over the database. Write never fails and never keeps the caller waiting
// longer than the parse of what it was given: a dump the parser cannot follow
// stops the counting (Contents then says why), never the backup.
type Counter struct {
	pw      *io.PipeWriter
	done    chan struct{}
	result  *store.Contents
	err     error
	stopped bool
}

// parseFunc reads a whole dump from r and returns what it holds. It may stop
// early with an error; the Counter drains the rest of the stream.
type parseFunc func(r *bufio.Reader) (*store.Contents, error)

// Limits on what a count records, so the metadata stays small whatever a
// (hostile) dump holds: past them the contents are not recorded.
// The metadata sidecar is read with a 1 MiB cap (store.ReadMeta): the counts'
// names, with room for JSON around each, stay within a quarter of it.
const (
	maxCountedTables = 10000
	maxCountedRoles  = 1000
	maxNameLen       = 1024
	maxCountedBytes  = 256 << 10
	entryOverhead    = 96 // JSON field names, indentation, a row count
)

// errTooMany is the counting error for a dump past the limits.
var errTooMany = errors.New("engines: too many tables to record")

// newCounter starts parse on what is written to the Counter.
func newCounter(parse parseFunc) *Counter {
	pr, pw := io.Pipe()
	c := &Counter{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer func() {
			if r := recover(); r != nil { // a parser bug must not take the backup down
				c.result, c.err = nil, fmt.Errorf("engines: counting stopped: %v", r)
			}
			_, _ = io.Copy(io.Discard, pr)
		}()
		br := bufio.NewReaderSize(pr, 256<<10)
		c.result, c.err = parse(br)
		if c.err == nil {
			// What follows a dump's end is not counted, but must not be either.
			if _, err := br.ReadByte(); err != io.EOF {
				c.result, c.err = nil, errors.New("engines: data after the end of the dump")
			}
		}
	}()
	return c
}

// Write implements io.Writer; it never fails.
func (c *Counter) Write(p []byte) (int, error) {
	if c == nil || c.stopped {
		return len(p), nil
	}
	_, _ = c.pw.Write(p) // after the parser gave up it drains, so this returns
	return len(p), nil
}

// Contents ends the stream and returns what it held, or why it could not be
// counted. A nil Counter (an engine that does not count) returns nil, nil.
func (c *Counter) Contents() (*store.Contents, error) {
	if c == nil {
		return nil, nil
	}
	if !c.stopped {
		c.stopped = true
		_ = c.pw.Close()
		<-c.done
	}
	if c.err != nil {
		return nil, fmt.Errorf("engines: the dump's contents could not be counted: %w", c.err)
	}
	return c.result, nil
}

// Abort ends the stream without waiting for a result; for a backup that failed.
func (c *Counter) Abort() {
	if c == nil || c.stopped {
		return
	}
	c.stopped = true
	_ = c.pw.CloseWithError(errors.New("engines: counting aborted"))
	<-c.done
}

// tableSet collects tables in the order a dump names them, with their rows.
type tableSet struct {
	dbs    []store.DatabaseContents
	index  map[[3]string]int // database, schema, table → position in its database
	tables int
	bytes  int // what the names will take in the metadata
}

// spend accounts for an entry of the metadata.
func (s *tableSet) spend(names ...string) error {
	s.bytes += entryOverhead
	for _, n := range names {
		s.bytes += len(n)
	}
	if s.bytes > maxCountedBytes {
		return fmt.Errorf("%w: the names would take more than %d bytes of metadata", errTooMany, maxCountedBytes)
	}
	return nil
}

func (s *tableSet) database(name string) *store.DatabaseContents {
	for i := range s.dbs {
		if s.dbs[i].Name == name {
			return &s.dbs[i]
		}
	}
	s.bytes += entryOverhead + len(name) // databases are few; add checks the total
	s.dbs = append(s.dbs, store.DatabaseContents{Name: name})
	return &s.dbs[len(s.dbs)-1]
}

// add records rows more rows of a table, naming it the first time.
func (s *tableSet) add(db, schema, table string, rows int64) error {
	if s.index == nil {
		s.index = map[[3]string]int{}
	}
	d := s.database(db)
	key := [3]string{db, schema, table}
	if i, ok := s.index[key]; ok {
		d.Tables[i].Rows += rows
		return nil
	}
	if s.tables++; s.tables > maxCountedTables {
		return fmt.Errorf("%w: more than %d", errTooMany, maxCountedTables)
	}
	if len(schema)+len(table) > maxNameLen {
		return fmt.Errorf("engines: a table name of %d bytes", len(schema)+len(table))
	}
	if err := s.spend(schema, table); err != nil {
		return err
	}
	s.index[key] = len(d.Tables)
	d.Tables = append(d.Tables, store.TableRows{Schema: schema, Name: table, Rows: rows})
	return nil
}

// readLine returns the next line without its newline, at most max bytes of it
// (the rest of a longer line is skipped), and io.EOF after the last one.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], nil
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		head := append([]byte(nil), line[:min(len(line), max)]...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		if err == io.EOF {
			err = nil
		}
		return head, err
	}
	if len(line) > 0 && err == io.EOF {
		return line, nil
	}
	return nil, err
}
