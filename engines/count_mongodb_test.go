package engines

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/baktainer/baktainer/store"
)

func TestCountMongoDB(t *testing.T) {
	var a bytes.Buffer
	a.Write(mongoMagic)
	a.Write(bsonDoc("concurrent_collections", int32(4), "version", "0.1"))
	a.Write(bsonDoc("db", "app", "collection", "people", "metadata", `{}`, "size", int32(22)))
	a.Write(bsonDoc("db", "app", "collection", "empty", "metadata", `{}`, "size", int32(0)))
	a.Write(bsonDoc("db", "logs", "collection", "events", "metadata", `{}`, "size", int32(0)))
	a.Write(mongoTerminator)
	segment := func(db, coll string, eof bool, docs int) {
		a.Write(bsonDoc("db", db, "collection", coll, "EOF", eof, "CRC", int64(0)))
		for i := 0; i < docs; i++ {
			a.Write(bsonDoc("n", int32(i), "name", "x"))
		}
		a.Write(mongoTerminator)
	}
	segment("app", "people", false, 3) // interleaved, as concurrent collections are
	segment("logs", "events", false, 2)
	segment("app", "people", false, 4)
	segment("app", "people", true, 0)
	segment("app", "empty", true, 0)
	segment("logs", "events", true, 0)
	got := countFile(t, func() *Counter {
		c := newCounter(countMongoDB())
		return c
	}(), writeTemp(t, a.Bytes()))
	want := []store.DatabaseContents{
		{Name: "app", Tables: []store.TableRows{{Name: "people", Rows: 7}, {Name: "empty"}}},
		{Name: "logs", Tables: []store.TableRows{{Name: "events", Rows: 2}}},
	}
	if !reflect.DeepEqual(got.Databases, want) {
		t.Fatalf("got  %+v\nwant %+v", got.Databases, want)
	}
	c := newCounter(countMongoDB())
	_, _ = c.Write(mongoArchive(false)) // cut after a data segment: ends cleanly between blocks
	if _, err := c.Contents(); err != nil {
		t.Logf("cut archive: %v", err)
	}
	c = newCounter(countMongoDB())
	full := mongoArchive(true)
	_, _ = c.Write(full[:len(full)-6])
	if got, err := c.Contents(); err == nil {
		t.Fatalf("counted %+v from an archive cut inside a block", got)
	}
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := t.TempDir() + "/dump"
	if err := writeFile(path, data); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
