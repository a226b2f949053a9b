package engines

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// hexLines answers a listing query the way the engines ask for it: one
// hex-encoded name a line.
func hexLines(names ...string) string {
	var out []string
	for _, n := range names {
		out = append(out, strings.ToUpper(hex.EncodeToString([]byte(n))))
	}
	return strings.Join(out, "\n") + "\n"
}

// selectionRuntime lists names for any listing query and accepts the rest.
func selectionRuntime(names ...string) *fakeRuntime {
	return &fakeRuntime{reply: func(cmd []string, _ string) (string, error) {
		switch cmd[0] {
		case "psql", "mariadb", "mysql":
			return hexLines(names...), nil
		}
		return "", nil
	}}
}

func parsedTarget(t *testing.T, l map[string]string) Target {
	t.Helper()
	spec, err := labels.Parse(l)
	if err != nil {
		t.Fatal(err)
	}
	return Target{Container: docker.Container{ID: "id", Name: "db", Env: map[string]string{}}, Spec: spec}
}

// Without db.split, include and exclude make one dump of the databases they
// select: pg_dumpall leaving the others out by exact, quoted name; mariadb-dump
// naming them after "--".
func TestIncludeExcludeInOneDump(t *testing.T) {
	names := []string{"app", "app_test", `we"ird`, "postgres", "shop"}
	pg := selectionRuntime(names...)
	target := parsedTarget(t, map[string]string{labels.Engine: "postgres", labels.Include: "app*,shop", labels.Exclude: "*_test"})
	if err := (Postgres{}).Dump(t.Context(), pg, target, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(pg.calls[len(pg.calls)-1].Cmd, " ")
	want := `pg_dumpall --username=postgres --no-password --clean --if-exists --exclude-database="template1" --exclude-database="app_test" --exclude-database="we""ird" --exclude-database="postgres"`
	if got != want {
		t.Errorf("postgres argv:\n got %s\nwant %s", got, want)
	}

	my := selectionRuntime("app", "mysql", "shop", "sys")
	target = parsedTarget(t, map[string]string{labels.Engine: "mariadb", labels.Exclude: "shop"})
	if err := (MySQL{}).Dump(t.Context(), my, target, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	got = strings.Join(my.calls[len(my.calls)-1].Cmd, " ")
	if !strings.HasSuffix(got, "--hex-blob --databases --flush-privileges -- app mysql") {
		t.Errorf("mariadb argv: %s", got)
	}

	none := selectionRuntime("app")
	target = parsedTarget(t, map[string]string{labels.Engine: "postgres", labels.Include: "nothing*"})
	err := (Postgres{}).Dump(t.Context(), none, target, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "select none of its databases (app)") {
		t.Errorf("a selection of nothing: %v", err)
	}
}

// db.split lists one part per selected database, each a target of that one
// database; Postgres adds the globals first (pg_dumpall --globals-only).
func TestSplitParts(t *testing.T) {
	pg := selectionRuntime("app", "postgres", "shop")
	target := parsedTarget(t, map[string]string{labels.Engine: "postgres", labels.Split: "true", labels.Exclude: "postgres"})
	parts, err := Postgres{}.Split(t.Context(), pg, target)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Name+"="+Postgres{}.Database(p.Target))
	}
	if strings.Join(got, " ") != "globals=all app=app shop=shop" {
		t.Fatalf("parts: %v", got)
	}
	if err := (Postgres{}).Dump(t.Context(), pg, parts[0].Target, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(pg.calls[len(pg.calls)-1].Cmd, " "); !strings.HasSuffix(got, "--if-exists --globals-only") {
		t.Errorf("globals argv: %s", got)
	}
	if err := (Postgres{}).Dump(t.Context(), pg, parts[2].Target, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	last := pg.calls[len(pg.calls)-1]
	if last.Cmd[0] != "pg_dump" || !strings.Contains(strings.Join(last.Env, " "), "PGDATABASE=shop") {
		t.Errorf("part shop: %v %v", last.Cmd, last.Env)
	}

	my := selectionRuntime("app", "mysql", "shop")
	target = parsedTarget(t, map[string]string{labels.Engine: "mysql", labels.Split: "true", labels.Include: "app,shop"})
	parts, err = MySQL{}.Split(t.Context(), my, target)
	if err != nil || len(parts) != 2 || parts[0].Name != "app" || (MySQL{}).Database(parts[1].Target) != "shop" {
		t.Fatalf("mysql parts: %+v, %v", parts, err)
	}
	if _, err := (SQLite{}).Split(t.Context(), my, target); err == nil {
		t.Error("sqlite split: no error")
	}
}

// MongoDB chooses one database without db.split and several only with it; the
// listing script carries the password on stdin, never argv.
func TestMongoSelection(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{labels.Include: "app"}, ""},
		{map[string]string{labels.Include: "app*"}, "set baktainer.db.split=true"},
		{map[string]string{labels.Exclude: "logs"}, "set baktainer.db.split=true"},
		{map[string]string{labels.Exclude: "logs", labels.Split: "true"}, ""},
	} {
		tc.labels[labels.Engine] = "mongodb"
		spec, err := labels.Parse(tc.labels)
		if err == nil {
			err = MongoDB{}.Validate(spec)
		}
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v", tc.labels, err)
		}
	}
	target := parsedTarget(t, map[string]string{labels.Engine: "mongodb", labels.Include: "app"})
	if db := (MongoDB{}).Database(target); db != "app" {
		t.Errorf("database of a single include: %q", db)
	}
	target.Container.Env = map[string]string{"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": "s3cr3t-pw"}
	target.Spec = labels.Spec{Engine: "mongodb", All: true, Split: true, Exclude: []string{"logs"}}
	f := &fakeRuntime{reply: func(cmd []string, _ string) (string, error) {
		if cmd[0] == "mongosh" && len(cmd) > 1 && cmd[1] == "--quiet" {
			return "noise\n" + mongoListMarker + `["admin","app","config","local","logs"]` + "\n", nil
		}
		return "", nil
	}}
	parts, err := MongoDB{}.Split(t.Context(), f, target)
	if err != nil || len(parts) != 2 || parts[0].Name != "admin" || parts[1].Name != "app" {
		t.Fatalf("mongo parts: %+v, %v", parts, err)
	}
	if f.argvHolds("s3cr3t-pw") {
		t.Error("the password is in an argv")
	}
	c, _, _ := f.find("mongosh", "--quiet")
	if !strings.Contains(c.Stdin, `"s3cr3t-pw"`) {
		t.Errorf("the listing script does not log in: %q", c.Stdin)
	}
}

// A dump of the databases db.include selects (mariadb-dump --databases) names
// the first in its header, but creates and USEs each itself: its restore must
// not connect to that database first (a fresh server does not have it yet).
func TestMySQLRestoreOfSelectedDatabases(t *testing.T) {
	dump := "-- MariaDB dump 10.19  Distrib 10.11.18-MariaDB\n--\n-- Host: localhost    Database: app\n" +
		"-- ------------------------------------------------------\n\n--\n-- Current Database: `app`\n--\n\n" +
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app`;\nUSE `app`;\n-- Dump completed on 2026-01-01\n"
	f := &fakeRuntime{reply: func([]string, string) (string, error) { return "", nil }}
	target := Target{Container: docker.Container{ID: "id", Name: "fresh", Env: map[string]string{}}, Spec: labels.Spec{Engine: "mariadb", All: true}}
	if err := (MySQL{}).Restore(t.Context(), f, target, strings.NewReader(dump)); err != nil {
		t.Fatal(err)
	}
	c, _, _ := f.find("mariadb", "--user=root")
	if strings.Contains(strings.Join(c.Cmd, " "), "--database=") {
		t.Errorf("the restore connects to a database first: %v", c.Cmd)
	}
}
