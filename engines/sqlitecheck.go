package engines

import (
	"encoding/binary"
	"fmt"
)

// sqliteHeaderSize is the size of the header at the start of every SQLite file.
const sqliteHeaderSize = 100

// sqliteCheck watches a database file stream by and tells whether it is whole: an
// SQLite header, and as many bytes as the header's page size times its page count.
type sqliteCheck struct {
	header [sqliteHeaderSize]byte
	size   int64
}

// Write implements io.Writer; it never fails.
func (c *sqliteCheck) Write(p []byte) (int, error) {
	if c.size < sqliteHeaderSize {
		copy(c.header[c.size:], p)
	}
	c.size += int64(len(p))
	return len(p), nil
}

// complete returns an error wrapping ErrIncomplete unless the stream was a whole
// database file.
func (c *sqliteCheck) complete() error {
	h := c.header[:]
	if c.size < sqliteHeaderSize || string(h[:len(sqliteMagic)]) != string(sqliteMagic) {
		return fmt.Errorf("%w: %d bytes without the SQLite header", ErrIncomplete, c.size)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("%w: the header's page size %d is not a power of two from 512 to 65536", ErrIncomplete, pageSize)
	}
	// The in-header page count is valid when its "version-valid-for" number matches
	// the change counter (every SQLite since 3.7.0 writes both).
	if binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28]) {
		if want := pageSize * int64(binary.BigEndian.Uint32(h[28:32])); c.size != want {
			return fmt.Errorf("%w: %d bytes, but the header says %d pages of %d bytes (%d)", ErrIncomplete, c.size, want/pageSize, pageSize, want)
		}
		return nil
	}
	if c.size%pageSize != 0 {
		return fmt.Errorf("%w: %d bytes is not a whole number of %d-byte pages", ErrIncomplete, c.size, pageSize)
	}
	return nil
}
