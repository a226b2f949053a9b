package engines

import (
	"fmt"
	"os"
	"testing"
)

func TestCountSQLite(t *testing.T) {
	// counted.sqlite (sqlite3 3.46, VACUUM INTO): people 1500 rows, kv a WITHOUT
	// ROWID table of 1200, we"ird empty, big one row with an overflowing blob,
	// seq 2 rows with AUTOINCREMENT (so sqlite_sequence 1), t1..t60 one row each:
	// a schema that spans several pages; an index and a view, which are no tables.
	got := countFile(t, newCounter(countSQLite("/data/app.db")), "testdata/counted.sqlite")
	if len(got.Databases) != 1 || got.Databases[0].Name != "/data/app.db" {
		t.Fatalf("databases %+v", got.Databases)
	}
	rows := map[string]int64{}
	for _, table := range got.Databases[0].Tables {
		rows[table.Name] = table.Rows
	}
	want := map[string]int64{"people": 1500, "kv": 1200, `we"ird`: 0, "big": 1, "seq": 2, "sqlite_sequence": 1}
	for i := 1; i <= 60; i++ {
		want[fmt.Sprintf("t%d", i)] = 1
	}
	if len(rows) != len(want) {
		t.Errorf("%d tables, want %d: %v", len(rows), len(want), rows)
	}
	for name, n := range want {
		if rows[name] != n {
			t.Errorf("table %s: %d rows, want %d", name, rows[name], n)
		}
	}
}

func TestCountSQLiteDamaged(t *testing.T) {
	data, err := os.ReadFile("testdata/counted.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	loop := append([]byte{}, data...)
	loop[0x64] = sqliteInteriorTable // page 1 an interior page whose children are garbage
	for name, dump := range map[string][]byte{
		"cut mid-page": data[:len(data)-100],
		"not SQLite":   []byte("hello"),
	} {
		t.Run(name, func(t *testing.T) {
			c := newCounter(countSQLite("/x"))
			_, _ = c.Write(dump)
			if got, err := c.Contents(); err == nil {
				t.Fatalf("counted %+v; want an error", got)
			}
		})
	}
	t.Run("garbage tree", func(t *testing.T) {
		c := newCounter(countSQLite("/x"))
		_, _ = c.Write(loop)
		_, _ = c.Contents() // must end, whatever it says
	})
}
