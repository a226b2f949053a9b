package engines

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/store"
)

func countFile(t *testing.T, c *Counter, path string) *store.Contents {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes: the parsers must not depend on how the stream is cut.
	for len(data) > 0 {
		n := min(len(data), 997)
		if _, err := c.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	got, err := c.Contents()
	if err != nil {
		t.Fatalf("count %s: %v", path, err)
	}
	return got
}

func TestCountPostgresOneDatabase(t *testing.T) {
	got := countFile(t, newCounter(countPostgres("app")), "testdata/pg-one.sql")
	want := &store.Contents{Tool: "pg_dump version 15.18", Databases: []store.DatabaseContents{{
		Name: "app",
		Tables: []store.TableRows{
			{Schema: "other", Name: "t", Rows: 5},
			{Schema: "public", Name: `Weird "Name"`, Rows: 0},
			{Schema: "public", Name: "empty", Rows: 0},
			{Schema: "public", Name: "people", Rows: 3},
		},
		Roles: []string{"postgres", "reader"},
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestCountPostgresCluster(t *testing.T) {
	got := countFile(t, newCounter(countPostgres("all")), "testdata/pg-all.sql")
	var names []string
	for _, d := range got.Databases {
		names = append(names, d.Name)
		if d.Roles != nil {
			t.Errorf("database %s: roles %v recorded for a cluster dump (it creates its roles)", d.Name, d.Roles)
		}
	}
	if want := []string{"template1", "app", "postgres", "second"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("databases %v, want %v", names, want)
	}
	if app, _ := got.Database("app"); app.Rows() != 8 || len(app.Tables) != 4 {
		t.Errorf("app: %+v", app)
	}
	if second, _ := got.Database("second"); !reflect.DeepEqual(second.Tables, []store.TableRows{{Schema: "public", Name: "notes", Rows: 2}}) {
		t.Errorf("second: %+v", second)
	}
}

func TestCountPostgresRefusesWhatPgDumpWouldNotWrite(t *testing.T) {
	for name, dump := range map[string]string{
		"cut inside COPY": "-- PostgreSQL database dump\nCOPY public.t (x) FROM stdin;\n1\n2\n",
		"odd COPY":        "-- PostgreSQL database dump\nCOPY public.t FROM '/etc/passwd';\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := newCounter(countPostgres("app"))
			_, _ = c.Write([]byte(dump))
			if got, err := c.Contents(); err == nil {
				t.Fatalf("counted %+v; want an error", got)
			}
		})
	}
}

func TestPgConnectTarget(t *testing.T) {
	for arg, want := range map[string]string{
		"app":                             "app",
		`"My ""DB"""`:                     `My "DB"`,
		`"dbname='it\'s'"`:                "it's",
		`"dbname='back\\slash ""q""'"`:    `back\slash "q"`,
		`-reuse-previous=on "dbname='x'"`: `-reuse-previous=on "dbname='x'"`, // the regexp strips the option first
	} {
		if got := pgConnectTarget(arg); got != want {
			t.Errorf("pgConnectTarget(%s) = %q, want %q", arg, got, want)
		}
	}
}

// A COPY block larger than the counter's read buffer: the table's name must
// survive the buffer's refills (it was read from the buffer once, garbled).
func TestCountPostgresLongCopyBlock(t *testing.T) {
	var dump strings.Builder
	dump.WriteString("-- PostgreSQL database dump\nCOPY public.people (id, name) FROM stdin;\n")
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&dump, "%d\tname number %d\n", i, i)
	}
	dump.WriteString("\\.\n")
	c := newCounter(countPostgres("app"))
	_, _ = c.Write([]byte(dump.String()))
	got, err := c.Contents()
	if err != nil {
		t.Fatal(err)
	}
	want := []store.TableRows{{Schema: "public", Name: "people", Rows: 40000}}
	if app, _ := got.Database("app"); !reflect.DeepEqual(app.Tables, want) {
		t.Fatalf("got %+v, want %+v", app.Tables, want)
	}
}

// A dump of very many (or very long) table names records no counts rather than
// metadata too large to read back (store.ReadMeta's cap is 1 MiB).
func TestCountKeepsTheMetadataSmall(t *testing.T) {
	for name, table := range map[string]func(i int) string{
		"many tables": func(i int) string { return fmt.Sprintf("t%d", i) },
		"long names":  func(i int) string { return fmt.Sprintf("t%d_%s", i, strings.Repeat("x", 900)) },
	} {
		t.Run(name, func(t *testing.T) {
			var dump strings.Builder
			dump.WriteString("-- PostgreSQL database dump\n")
			for i := 0; i < 12000; i++ {
				fmt.Fprintf(&dump, "COPY public.%s (x) FROM stdin;\n1\n\\.\n", table(i))
			}
			c := newCounter(countPostgres("app"))
			_, _ = c.Write([]byte(dump.String()))
			got, err := c.Contents()
			if err == nil {
				data, _ := json.MarshalIndent(store.Meta{Contents: got}, "", "  ")
				t.Fatalf("counted %d tables into %d bytes of metadata; want an error", len(got.Databases[0].Tables), len(data))
			}
			if !errors.Is(err, errTooMany) {
				t.Errorf("error %v does not wrap errTooMany", err)
			}
		})
	}
}
