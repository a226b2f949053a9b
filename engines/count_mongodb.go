package engines

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/store"
)

// A mongodump archive is a prelude (the magic number, a header document, one
// metadata document per collection, a terminator) and then segments: a namespace
// header document ({db, collection, EOF, CRC}), that collection's documents, a
// terminator. Counting is counting the documents of each namespace's segments;
// every BSON document starts with its own length, so none is decoded. The header
// fields are read by a walk over the top-level elements: the MongoDB driver's
// bson package would be a large dependency for three fields.

// mongoMaxDocument bounds a BSON document (MongoDB's own limit is 16 MiB).
const mongoMaxDocument = 48 << 20

func countMongoDB() parseFunc {
	return func(r *bufio.Reader) (*store.Contents, error) {
		magic := make([]byte, 4)
		if _, err := io.ReadFull(r, magic); err != nil || !bytes.Equal(magic, mongoMagic) {
			return nil, errors.New("engines: not a mongodump archive")
		}
		var set tableSet
		for first := true; ; first = false { // the prelude: header, metadata…, terminator
			doc, err := mongoBlock(r)
			if err != nil {
				return nil, err
			}
			if doc == nil {
				break
			}
			if !first {
				db, coll, _ := mongoNamespace(doc)
				if err := set.add(db, "", coll, 0); err != nil {
					return nil, err
				}
			}
		}
		for {
			header, err := mongoBlock(r)
			if err == io.EOF {
				return &store.Contents{Tool: "mongodump archive", Databases: set.dbs}, nil
			}
			if err != nil || header == nil {
				return nil, fmt.Errorf("engines: a segment without its namespace header: %v", err)
			}
			db, coll, eof := mongoNamespace(header)
			var docs int64
			for {
				doc, err := mongoBlock(r)
				if err != nil {
					return nil, fmt.Errorf("engines: namespace %s.%s: %w", db, coll, noEOF(err))
				}
				if doc == nil {
					break
				}
				docs++
			}
			if !eof {
				if err := set.add(db, "", coll, docs); err != nil {
					return nil, err
				}
			}
		}
	}
}

// mongoBlock reads one BSON document, or the terminator (nil), or io.EOF at a
// clean end.
func mongoBlock(r *bufio.Reader) ([]byte, error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	if bytes.Equal(head, mongoTerminator) {
		return nil, nil
	}
	n := int(binary.LittleEndian.Uint32(head))
	if n < 5 || n > mongoMaxDocument {
		return nil, fmt.Errorf("engines: a BSON document of %d bytes", n)
	}
	doc := make([]byte, n)
	copy(doc, head)
	if _, err := io.ReadFull(r, doc[4:]); err != nil {
		return nil, noEOF(err)
	}
	return doc, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// mongoNamespace reads the db, collection and EOF fields of a header document.
func mongoNamespace(doc []byte) (db, coll string, eof bool) {
	for pos := 4; pos < len(doc)-1; {
		kind := doc[pos]
		end := bytes.IndexByte(doc[pos+1:], 0)
		if end < 0 {
			return
		}
		name := string(doc[pos+1 : pos+1+end])
		pos += 2 + end
		size := bsonValueSize(kind, doc[pos:])
		if size < 0 || pos+size > len(doc) {
			return
		}
		value := doc[pos : pos+size]
		switch {
		case kind == 0x02 && name == "db":
			db = string(value[4 : len(value)-1])
		case kind == 0x02 && name == "collection":
			coll = string(value[4 : len(value)-1])
		case kind == 0x08 && name == "EOF":
			eof = value[0] == 1
		}
		pos += size
	}
	return
}

// bsonValueSize is the size of a value of kind at the start of b; -1 if unknown.
func bsonValueSize(kind byte, b []byte) int {
	length := func(extra int) int {
		if len(b) < 4 {
			return -1
		}
		return int(binary.LittleEndian.Uint32(b)) + extra
	}
	switch kind {
	case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
		return 8
	case 0x02, 0x0d, 0x0e: // string, code, symbol
		return length(4)
	case 0x03, 0x04: // document, array
		return length(0)
	case 0x05: // binary
		return length(5)
	case 0x07:
		return 12
	case 0x08:
		return 1
	case 0x0a, 0x06, 0x7f, 0xff:
		return 0
	case 0x10:
		return 4
	case 0x13:
		return 16
	}
	return -1
}
