package engines

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/store"
)

// An SQLite snapshot streams by page by page. Each table is a b-tree: its rows are
// the cells of its leaf pages (for a WITHOUT ROWID table, of every page of its
// tree). The counter notes, for each page, its kind, its cell count and, for an
// interior page, its children; the schema (the b-tree rooted at page 1) names each
// table and its root page. At the end it walks each table's tree from its root and
// adds up its rows: the rows of the snapshot, from the snapshot's own bytes, with
// no query. Memory: about 9 bytes per page (a 10 GB database of 4 KiB pages:
// about 24 MB).

// B-tree page kinds.
const (
	sqliteInteriorIndex = 2
	sqliteInteriorTable = 5
	sqliteLeafIndex     = 10
	sqliteLeafTable     = 13
)

// sqliteMaxPages bounds the pages the counter keeps track of.
const sqliteMaxPages = 1 << 26

// countSQLite returns the parser for a snapshot of the database at path.
func countSQLite(path string) parseFunc {
	return func(r *bufio.Reader) (*store.Contents, error) {
		c := &sqliteCounter{children: map[uint32][]uint32{}, schemaRows: map[uint32][]sqliteSchemaRow{}}
		if err := c.read(r); err != nil {
			return nil, err
		}
		tables, err := c.tables()
		if err != nil {
			return nil, err
		}
		var set tableSet
		set.database(path)
		for _, t := range tables {
			if err := set.add(path, "", t.name, t.rows); err != nil {
				return nil, err
			}
		}
		return &store.Contents{Tool: "SQLite 3 database file", Databases: set.dbs}, nil
	}
}

type sqliteCounter struct {
	pageSize, usable int
	kinds            []byte   // per page (page n at n-1)
	cells            []uint32 // per page
	children         map[uint32][]uint32
	schemaRows       map[uint32][]sqliteSchemaRow // table rows of leaf pages that look like the schema's
}

type sqliteSchemaRow struct {
	kind, name string
	root       uint32
}

type sqliteTable struct {
	name string
	rows int64
}

func (c *sqliteCounter) read(r *bufio.Reader) error {
	header, err := r.Peek(sqliteHeaderSize)
	if err != nil || string(header[:len(sqliteMagic)]) != string(sqliteMagic) {
		return errors.New("engines: not an SQLite database file")
	}
	c.pageSize = int(binary.BigEndian.Uint16(header[16:18]))
	if c.pageSize == 1 {
		c.pageSize = 65536
	}
	if c.pageSize < 512 || c.pageSize&(c.pageSize-1) != 0 {
		return fmt.Errorf("engines: SQLite page size %d", c.pageSize)
	}
	c.usable = c.pageSize - int(header[20])
	if c.usable < 480 {
		return fmt.Errorf("engines: SQLite usable page size %d", c.usable)
	}
	page := make([]byte, c.pageSize)
	for n := uint32(1); ; n++ {
		if _, err := io.ReadFull(r, page); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("engines: SQLite page %d: %w", n, err)
		}
		if n > sqliteMaxPages {
			return fmt.Errorf("engines: more than %d pages", sqliteMaxPages)
		}
		c.page(n, page)
	}
}

// page notes what a page holds. Pages that are not b-tree pages (overflow, free
// list) may look like one; only pages reached from a root are ever counted.
func (c *sqliteCounter) page(n uint32, p []byte) {
	hdr := 0
	if n == 1 {
		hdr = sqliteHeaderSize
	}
	kind := p[hdr]
	c.kinds = append(c.kinds, kind)
	cells := binary.BigEndian.Uint16(p[hdr+3:])
	c.cells = append(c.cells, uint32(cells))
	switch kind {
	case sqliteInteriorTable, sqliteInteriorIndex:
		ptrs := hdr + 12
		if ptrs+2*int(cells) > len(p) {
			return
		}
		kids := make([]uint32, 0, cells+1)
		for i := 0; i < int(cells); i++ {
			off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
			if off+4 <= len(p) {
				kids = append(kids, binary.BigEndian.Uint32(p[off:]))
			}
		}
		c.children[n] = append(kids, binary.BigEndian.Uint32(p[hdr+8:]))
	case sqliteLeafTable:
		if rows := c.schemaLike(p, hdr+8, int(cells)); len(rows) > 0 {
			c.schemaRows[n] = rows
		}
	}
}

// schemaLike returns the cells of a table leaf page that read as rows of the
// schema table: (type text, name text, tbl_name text, rootpage int, sql).
func (c *sqliteCounter) schemaLike(p []byte, ptrs, cells int) []sqliteSchemaRow {
	var rows []sqliteSchemaRow
	for i := 0; i < cells && ptrs+2*i+2 <= len(p); i++ {
		off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
		if row, ok := c.schemaRow(p, off); ok {
			rows = append(rows, row)
		}
	}
	return rows
}

func (c *sqliteCounter) schemaRow(p []byte, off int) (sqliteSchemaRow, bool) {
	payload, n := sqliteVarint(p, off)
	_, m := sqliteVarint(p, off+n) // the rowid
	start := off + n + m
	local := c.localPayload(int64(payload))
	if n == 0 || m == 0 || start+local > len(p) {
		return sqliteSchemaRow{}, false
	}
	rec := p[start : start+local]
	hdrLen, h := sqliteVarint(rec, 0)
	if h == 0 || int(hdrLen) > len(rec) {
		return sqliteSchemaRow{}, false
	}
	var types []uint64
	for pos := h; pos < int(hdrLen); {
		t, k := sqliteVarint(rec, pos)
		if k == 0 {
			return sqliteSchemaRow{}, false
		}
		types, pos = append(types, t), pos+k
	}
	if len(types) != 5 {
		return sqliteSchemaRow{}, false
	}
	vals, pos := make([][]byte, 4), int(hdrLen)
	for i := 0; i < 4; i++ {
		size := sqliteSerialSize(types[i])
		if size < 0 || pos+size > len(rec) {
			return sqliteSchemaRow{}, false
		}
		vals[i], pos = rec[pos:pos+size], pos+size
	}
	if !sqliteIsText(types[0]) || !sqliteIsText(types[1]) || types[3] < 1 || types[3] > 6 {
		return sqliteSchemaRow{}, false
	}
	var root uint64
	for _, b := range vals[3] {
		root = root<<8 | uint64(b)
	}
	return sqliteSchemaRow{kind: string(vals[0]), name: string(vals[1]), root: uint32(root)}, root <= 1<<32-1
}

// localPayload is how much of a table leaf cell's payload is on its page.
func (c *sqliteCounter) localPayload(payload int64) int {
	u := int64(c.usable)
	maxLocal := u - 35
	if payload <= maxLocal {
		return int(payload)
	}
	minLocal := (u-12)*32/255 - 23
	k := minLocal + (payload-minLocal)%(u-4)
	if k <= maxLocal {
		return int(k)
	}
	return int(minLocal)
}

// tables walks the schema from page 1 and each table's tree from its root.
func (c *sqliteCounter) tables() ([]sqliteTable, error) {
	var tables []sqliteTable
	var walkErr error
	c.walk(1, func(n uint32, kind byte) {
		if kind != sqliteLeafTable {
			return
		}
		for _, row := range c.schemaRows[n] {
			if row.kind != "table" || row.root == 0 { // a virtual table has no b-tree
				continue
			}
			rows, err := c.rows(row.root)
			if err != nil && walkErr == nil {
				walkErr = fmt.Errorf("engines: table %q: %w", row.name, err)
			}
			tables = append(tables, sqliteTable{name: row.name, rows: rows})
		}
	})
	if _, ok := c.kind(1); !ok {
		return nil, errors.New("engines: an SQLite file without pages")
	}
	return tables, walkErr
}

// rows adds up the rows of the tree rooted at root.
func (c *sqliteCounter) rows(root uint32) (int64, error) {
	rootKind, ok := c.kind(root)
	if !ok {
		return 0, fmt.Errorf("root page %d is not in the file", root)
	}
	withoutRowid := rootKind == sqliteInteriorIndex || rootKind == sqliteLeafIndex
	var rows int64
	bad := false
	c.walk(root, func(n uint32, kind byte) {
		switch {
		case kind == sqliteLeafTable && !withoutRowid, withoutRowid && (kind == sqliteLeafIndex || kind == sqliteInteriorIndex):
			rows += int64(c.cells[n-1])
		case kind == sqliteInteriorTable && !withoutRowid:
		default:
			bad = true
		}
	})
	if bad {
		return rows, fmt.Errorf("the tree at page %d holds pages of another kind", root)
	}
	return rows, nil
}

// walk visits the pages of the tree rooted at root, each once.
func (c *sqliteCounter) walk(root uint32, visit func(n uint32, kind byte)) {
	seen := map[uint32]bool{}
	stack := []uint32{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		kind, ok := c.kind(n)
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		visit(n, kind)
		if kind == sqliteInteriorTable || kind == sqliteInteriorIndex {
			stack = append(stack, c.children[n]...)
		}
	}
}

func (c *sqliteCounter) kind(n uint32) (byte, bool) {
	if n == 0 || int(n) > len(c.kinds) {
		return 0, false
	}
	return c.kinds[n-1], true
}

// sqliteVarint reads SQLite's big-endian varint at p[off:]; n is 0 when it does not fit.
func sqliteVarint(p []byte, off int) (uint64, int) {
	var v uint64
	for i := 0; i < 9; i++ {
		if off+i >= len(p) || off < 0 {
			return 0, 0
		}
		b := p[off+i]
		if i == 8 {
			return v<<8 | uint64(b), 9
		}
		v = v<<7 | uint64(b&0x7f)
		if b < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// sqliteSerialSize is the size of a value of a record's serial type; -1 if unknown.
func sqliteSerialSize(t uint64) int {
	switch {
	case t <= 4:
		return int(t)
	case t == 5:
		return 6
	case t == 6 || t == 7:
		return 8
	case t == 8 || t == 9:
		return 0
	case t >= 12 && t < 1<<31:
		return int((t - 12) / 2)
	}
	return -1
}

func sqliteIsText(t uint64) bool { return t >= 13 && t%2 == 1 }
