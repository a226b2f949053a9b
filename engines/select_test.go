package engines

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestPostgresSelectDatabase(t *testing.T) {
	f, err := os.Open("testdata/pg-all.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _ := Postgres{}.SelectDatabase(f, "app")
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	if pgDumpKind([]byte(text)) != pgDatabase {
		t.Errorf("the selection does not start like a pg_dump dump:\n%.200s", text)
	}
	for _, bad := range []string{`\connect`, "CREATE DATABASE", "CREATE TABLE public.notes", "DROP ROLE"} {
		if strings.Contains(text, bad) {
			t.Errorf("the selection holds %q", bad)
		}
	}
	c := newCounter(countPostgres("app"))
	_, _ = c.Write(got)
	counted, err := c.Contents()
	if err != nil {
		t.Fatal(err)
	}
	if app, _ := counted.Database("app"); app.Rows() != 8 || len(app.Tables) != 4 {
		t.Errorf("the selection holds %+v", counted)
	}
	if strings.Count(text, `\restrict`) != strings.Count(text, `\unrestrict`) {
		t.Errorf("\\restrict and \\unrestrict do not pair up")
	}

	r, _ = Postgres{}.SelectDatabase(bytes.NewReader([]byte("-- PostgreSQL database cluster dump\n\\connect other\n")), "app")
	if _, err := io.ReadAll(r); !errors.Is(err, ErrNoSuchDatabase) {
		t.Errorf("selecting a database the dump lacks: %v", err)
	}
}

func TestMySQLSelectDatabase(t *testing.T) {
	dump := "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n--\n-- Host: localhost    Database: \n/*!40101 SET NAMES utf8mb4 */;\n" +
		"--\n-- Current Database: `app`\n--\n\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `app`;\n\nUSE `app`;\nCREATE TABLE `t` (x int);\nINSERT INTO `t` VALUES (1),(2);\n" +
		"--\n-- Current Database: `other`\n--\nUSE `other`;\nCREATE TABLE `o` (x int);\nINSERT INTO `o` VALUES (9);\n" +
		"--\n-- Current Database: `app`\n--\nUSE `app`;\n/*!50001 CREATE VIEW `v` AS SELECT 1 */;\n-- Dump completed\n"
	r, _ := MySQL{}.SelectDatabase(strings.NewReader(dump), "app")
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	if name, single := mysqlDumpedDatabase(got); !single || name != "app" {
		t.Errorf("the header names %q (%v):\n%s", name, single, text)
	}
	for _, want := range []string{"SET NAMES", "CREATE TABLE `t`", "VALUES (1),(2)", "CREATE VIEW `v`"} {
		if !strings.Contains(text, want) {
			t.Errorf("the selection lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"USE `", "CREATE DATABASE", "`o`"} {
		if strings.Contains(text, bad) {
			t.Errorf("the selection holds %q:\n%s", bad, text)
		}
	}
}

func TestWithoutFlushPrivileges(t *testing.T) {
	in := "INSERT INTO `global_priv` VALUES ('x','/*! FLUSH PRIVILEGES */;');\n/*! FLUSH PRIVILEGES */;\n/*!40101 FLUSH PRIVILEGES */;\n-- Dump completed\n"
	got, err := io.ReadAll(withoutFlushPrivileges(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "INSERT INTO `global_priv` VALUES ('x','/*! FLUSH PRIVILEGES */;');\n-- Dump completed\n"; string(got) != want {
		t.Errorf("got %q", got)
	}
}
