package engines

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestCheckComplete(t *testing.T) {
	sqlite, err := os.ReadFile("testdata/small.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pgHead := "--\n-- PostgreSQL database dump\n--\n\\restrict abc\n"
	clusterHead := "--\n-- PostgreSQL database cluster dump\n--\n"
	mariaHead := "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.18-MariaDB\n--\n-- Host: localhost    Database: app\n"
	mysqlHead := "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: \n"
	for _, tc := range []struct {
		name       string
		engine     Engine
		head, tail string
		ok         bool
	}{
		{"pg_dump", Postgres{}, pgHead, "...\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n", true},
		{"pg_dump cut short", Postgres{}, pgHead, "COPY public.t (a) FROM stdin;\n1\n2\n", false},
		{"pg not a dump", Postgres{}, "hello", "-- PostgreSQL database dump complete", false},
		{"pg empty", Postgres{}, "", "", false},
		{"pg_dumpall", Postgres{}, clusterHead, "-- PostgreSQL database dump complete\n--\n\n--\n-- PostgreSQL database cluster dump complete\n--\n\n", true},
		{"pg_dumpall cut after a database", Postgres{}, clusterHead, "-- PostgreSQL database dump complete\n--\n\n\\unrestrict x\n", false},
		{"mariadb-dump", MySQL{}, mariaHead, "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed on 2026-11-25 20:12:34\n", true},
		{"mysqldump", MariaDB{}, mysqlHead, "-- Dump completed on 2024-01-01  1:02:03\n", true},
		{"mysqldump --skip-dump-date", MySQL{}, mysqlHead, "-- Dump completed\n", true},
		{"mysql cut short", MySQL{}, mariaHead, "INSERT INTO `t` VALUES (1,'a'),(2,", false},
		{"mysql not a dump", MySQL{}, "SELECT 1;\n", "-- Dump completed\n", false},
		{"sqlite", SQLite{}, string(sqlite), string(sqlite), true},
		{"sqlite short header", SQLite{}, string(sqlite[:50]), "", false},
		{"not sqlite", SQLite{}, strings.Repeat("x", 200), "", false},
	} {
		if err := tc.engine.CheckComplete([]byte(tc.head), []byte(tc.tail)); (err == nil) != tc.ok {
			t.Errorf("%s: CheckComplete = %v, want ok=%v", tc.name, err, tc.ok)
		} else if err != nil && !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: %v does not wrap ErrIncomplete", tc.name, err)
		}
	}
}

func TestSQLiteCheckWantsTheWholeFile(t *testing.T) {
	file, err := os.ReadFile("testdata/small.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	check := func(b []byte) error {
		c := &sqliteCheck{}
		for rest := b; len(rest) > 0; rest = rest[min(len(rest), 37):] {
			_, _ = c.Write(rest[:min(len(rest), 37)])
		}
		return c.complete()
	}
	if err := check(file); err != nil {
		t.Fatalf("the whole file: %v", err)
	}
	for _, size := range []int{0, 99, 100, 1023, 1024, len(file) - 1} {
		if err := check(file[:size]); !errors.Is(err, ErrIncomplete) {
			t.Errorf("cut to %d bytes: %v, want ErrIncomplete", size, err)
		}
	}
	if err := check(append(bytes.Clone(file), 0)); !errors.Is(err, ErrIncomplete) {
		t.Errorf("a byte too many: %v, want ErrIncomplete", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		engine Engine
		spec   labels.Spec
		labels []string // labels named in the error; none: valid
	}{
		{Postgres{}, labels.Spec{Database: "app"}, nil},
		{Postgres{}, labels.Spec{All: true}, nil},
		{Postgres{}, labels.Spec{All: true, Database: "app"}, nil}, // #13: the database pg_dumpall connects to
		{Postgres{}, labels.Spec{All: true, Database: "postgresql://evil.example/app"}, []string{labels.Database}},
		{Postgres{}, labels.Spec{All: true, Database: "postgres://evil.example/app"}, []string{labels.Database}},
		{MySQL{}, labels.Spec{All: true, Database: "app"}, []string{labels.Database}},
		{MariaDB{}, labels.Spec{User: "app", PasswordFile: "/run/secrets/x"}, nil},
		{SQLite{}, labels.Spec{Database: "/data/app.db"}, nil},
		{SQLite{}, labels.Spec{}, []string{labels.Database}},
		{SQLite{}, labels.Spec{Database: "data/app.db"}, []string{labels.Database}},
		{SQLite{}, labels.Spec{Database: "/data/it's.db"}, []string{labels.Database}},
		{SQLite{}, labels.Spec{Database: "/d.db", All: true, User: "u", Password: "p", PasswordFile: "/f"},
			[]string{labels.All, labels.User, labels.Password, labels.PasswordFile}},
		{Redis{}, labels.Spec{}, nil},
		{Redis{}, labels.Spec{Database: "0"}, []string{labels.Database}},
		{MongoDB{}, labels.Spec{Database: "shop"}, nil},
		{MongoDB{}, labels.Spec{Database: "shop", All: true}, []string{labels.Database}},
	} {
		err := tc.engine.Validate(tc.spec)
		if (err == nil) != (len(tc.labels) == 0) {
			t.Errorf("%s %+v: Validate = %v, want errors for %v", tc.engine.Name(), tc.spec, err, tc.labels)
			continue
		}
		for _, l := range tc.labels {
			if !strings.Contains(err.Error(), "label "+l) {
				t.Errorf("%s %+v: %v does not name %s", tc.engine.Name(), tc.spec, err, l)
			}
		}
		if err != nil && strings.Contains(err.Error(), `"p"`) {
			t.Errorf("%s: %v repeats the password label's value", tc.engine.Name(), err)
		}
	}
}

func TestMySQLAccount(t *testing.T) {
	for _, tc := range []struct {
		name           string
		env            map[string]string
		spec           labels.Spec
		user, pwSource string
	}{
		{"root by default", map[string]string{"MYSQL_ROOT_PASSWORD": "r"}, labels.Spec{}, "root", "env MYSQL_ROOT_PASSWORD"},
		{"mariadb names first", map[string]string{"MARIADB_ROOT_PASSWORD": "r", "MYSQL_ROOT_PASSWORD": "m"}, labels.Spec{}, "root", "env MARIADB_ROOT_PASSWORD"},
		{"root password file", map[string]string{"MARIADB_ROOT_PASSWORD_FILE": "/run/secrets/pw", "MARIADB_USER": "app"}, labels.Spec{}, "root", "env MARIADB_ROOT_PASSWORD_FILE"},
		{"app user when root's password is unknown", map[string]string{"MYSQL_RANDOM_ROOT_PASSWORD": "yes", "MYSQL_USER": "app", "MYSQL_PASSWORD": "a"}, labels.Spec{}, "app", "env MYSQL_PASSWORD"},
		{"labelled app user", map[string]string{"MYSQL_ROOT_PASSWORD": "r", "MYSQL_USER": "app", "MYSQL_PASSWORD": "a"}, labels.Spec{User: "app"}, "app", "env MYSQL_PASSWORD"},
		{"labelled other user", map[string]string{"MYSQL_ROOT_PASSWORD": "r"}, labels.Spec{User: "backup", PasswordFile: "/run/secrets/pw"}, "backup", "label " + labels.PasswordFile},
		{"root through the socket", map[string]string{"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "1"}, labels.Spec{}, "root", "none set"},
	} {
		f := &fakeRuntime{reply: plantedReply}
		c, err := MySQL{}.conn(context.Background(), f, Target{Container: docker.Container{Env: tc.env}, Spec: tc.spec})
		if err != nil || c.user.Value != tc.user || c.password.From != tc.pwSource {
			t.Errorf("%s: user %s, password from %q, %v; want %s, %q", tc.name, c.user, c.password.From, err, tc.user, tc.pwSource)
		}
	}
}

func TestMySQLDumpedDatabase(t *testing.T) {
	for head, want := range map[string]string{
		"-- MySQL dump 10.13\n--\n-- Host: localhost    Database: shop\n": "shop",
		"-- MariaDB dump 10.19\n--\n-- Host: 127.0.0.1    Database: \n":   "",
	} {
		if got, single := mysqlDumpedDatabase([]byte(head)); got != want || single != (want != "") {
			t.Errorf("%q: %q %v, want %q", head, got, single, want)
		}
	}
}

func TestRedisRestoreSteps(t *testing.T) {
	_, file := readRDBSample(t)
	target := Target{Container: docker.Container{ID: "id", Name: "cache", Env: map[string]string{"REDIS_PASSWORD": planted}}}
	f := &fakeRuntime{reply: plantedReply}
	if err := (Redis{}).Restore(context.Background(), f, target, bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	dd, ddAt, _ := f.find("dd")
	save, saveAt, _ := f.find("redis-cli", "--raw", "CONFIG", "SET", "save")
	mv, mvAt, _ := f.find("mv")
	ping, _, _ := f.find("redis-cli", "--raw", "PING")
	staged := strings.TrimPrefix(dd.Cmd[1], "of=")
	switch {
	case dd.User != "999:999" || mv.User != "999:999":
		t.Errorf("files written as %q and %q, want the data directory's owner 999:999", dd.User, mv.User)
	case dd.Stdin != string(file):
		t.Error("the staged file is not the RDB file")
	case !strings.HasPrefix(staged, "/data/baktainer-restore-"):
		t.Errorf("staged as %s, want beside the server's file", staged)
	case save.Cmd[len(save.Cmd)-1] != "" || !(ddAt < saveAt && saveAt < mvAt):
		t.Errorf("want: stage, CONFIG SET save \"\", then move; got %+v", f.calls)
	case strings.Join(mv.Cmd, " ") != "mv -f -- "+staged+" /data/dump.rdb":
		t.Errorf("move = %q", strings.Join(mv.Cmd, " "))
	case mv.After != 0 || ping.After != 1 || f.restarts != 1:
		t.Errorf("want the move before the one restart and PING after it: %+v", f.calls)
	}

	// A damaged file never reaches the server's file, and nothing restarts.
	f = &fakeRuntime{reply: plantedReply}
	damaged := bytes.Clone(file)
	damaged[len(damaged)/2] ^= 1
	err := (Redis{}).Restore(context.Background(), f, target, bytes.NewReader(damaged))
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("damaged RDB: err = %v, want ErrIncomplete", err)
	}
	if _, _, moved := f.find("mv"); moved || f.restarts != 0 {
		t.Errorf("a damaged RDB was moved into place or the server restarted: %+v", f.calls)
	}
	if rm, _, _ := f.find("rm"); rm.Cmd == nil {
		t.Error("the staged file was not removed")
	}
}

func TestExamples(t *testing.T) {
	reg := Default()
	for _, name := range reg.Names() {
		e, _ := reg.Lookup(name)
		ex := e.Example()
		spec, err := labels.Parse(ex.Labels)
		if err != nil {
			t.Errorf("%s: the example's labels do not parse: %v", name, err)
			continue
		}
		if found, err := reg.Lookup(spec.Engine); err != nil || found.Name() != name || !spec.Backup {
			t.Errorf("%s: the example's labels select %v (%v), backup=%v", name, found, err, spec.Backup)
		}
		if err := e.Validate(spec); err != nil {
			t.Errorf("%s: the example's labels do not validate: %v", name, err)
		}
		text, err := ex.Compose()
		if err != nil {
			t.Fatal(err)
		}
		var parsed map[string]any
		if err := yaml.Unmarshal(text, &parsed); err != nil {
			t.Errorf("%s: the compose snippet is not YAML: %v", name, err)
		}
		golden := filepath.Join("testdata", "examples", name+".yaml")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, text, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil || !bytes.Equal(want, text) {
			t.Errorf("%s: the compose snippet differs from %s (go test -update to accept):\n%s", name, golden, text)
		}
	}
}

func TestRedisConfigGet(t *testing.T) {
	for reply, want := range map[string]string{"save\n3600 1 300 100": "3600 1 300 100", "save": "", "save\n": ""} {
		f := &fakeRuntime{reply: func([]string, string) (string, error) { return reply, nil }}
		got, err := redisConn{}.configGet(context.Background(), f, Target{}, "save")
		if err != nil || got != want {
			t.Errorf("reply %q: %q, %v; want %q", reply, got, err, want)
		}
	}
	f := &fakeRuntime{reply: func([]string, string) (string, error) { return "NOAUTH Authentication required.", nil }}
	if _, err := (redisConn{}).configGet(context.Background(), f, Target{}, "dir"); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("an error reply: %v", err)
	}
}
