package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/store"
)

func TestRestoreAndVerifyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--restore", "a.sql.zst", "b.sql.zst"}, "--restore test-restores one archive"},
		{[]string{"verify", "--restore", "a.sql.zst", "--memory", "lots"}, "--memory"},
		{[]string{"verify", "--restore", "a.sql.zst", "--memory", "1m"}, "at least 64m"},
		{[]string{"restore", "a.sql.zst"}, "--container is required"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

func TestDescribeHeld(t *testing.T) {
	var tables []store.TableRows
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		tables = append(tables, store.TableRows{Schema: "public", Name: n, Rows: -1})
	}
	for _, tc := range []struct {
		held *store.Contents
		want string
	}{
		{&store.Contents{}, ""},
		{&store.Contents{Databases: []store.DatabaseContents{{Name: "app"}}}, ""},
		{&store.Contents{Databases: []store.DatabaseContents{{Name: "0", Keys: 3}}}, "database 0 has 3 keys"},
		{&store.Contents{Databases: []store.DatabaseContents{{Name: "app", Tables: tables}}},
			"database app has 7 tables (public.a, public.b, public.c, public.d, public.e, and 2 more)"},
	} {
		if got := describeHeld(tc.held); got != tc.want {
			t.Errorf("describeHeld(%+v) = %q, want %q", tc.held, got, tc.want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	var errOut bytes.Buffer
	env := &runEnv{stderr: &errOut, log: testEntry(&errOut)}
	p := newProgress(env, 4<<20)
	p.interval = 0
	r := p.reader(strings.NewReader(strings.Repeat("x", 1<<20)))
	buf := make([]byte, 64<<10)
	for {
		if _, err := r.Read(buf); err != nil {
			break
		}
	}
	p.done()
	if s := errOut.String(); !strings.Contains(s, "restoring: 1MiB of 4MiB (25%)") || !strings.Contains(s, "left") {
		t.Errorf("progress:\n%s", s)
	}
}

func testEntry(w *bytes.Buffer) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(w)
	return logrus.NewEntry(l)
}
