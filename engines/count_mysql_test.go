package engines

import (
	"reflect"
	"testing"

	"github.com/baktainer/baktainer/store"
)

func TestCountMySQLOneDatabase(t *testing.T) {
	got := countFile(t, newCounter(countMySQL("")), "testdata/my-one.sql")
	want := &store.Contents{Tool: "MariaDB dump 10.19  Distrib 10.11.18-MariaDB", Databases: []store.DatabaseContents{{
		Name: "app",
		Tables: []store.TableRows{
			{Name: "empty", Rows: 0},
			{Name: "people", Rows: 3},
			{Name: "we`ird", Rows: 0},
		},
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestCountMySQLStatements(t *testing.T) {
	header := "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: \n"
	for _, tc := range []struct {
		name string
		dump string
		want []store.DatabaseContents
	}{
		{"one line, strings with parentheses, quotes and escapes", header +
			"USE `a`;\nCREATE TABLE `t` (\n  `x` int\n);\n" +
			"INSERT INTO `t` VALUES (1,'(x),(y)'),(2,'it\\'s'),(3,'say \"hi\" ('')'),(4,\"dq ) \\\" (\"),(5,0x28);\n" +
			"USE `b`;\nINSERT INTO `t` (`x`) VALUES (1);\nINSERT INTO `t` VALUES (2),(3);\n",
			[]store.DatabaseContents{
				{Name: "a", Tables: []store.TableRows{{Name: "t", Rows: 5}}},
				{Name: "b", Tables: []store.TableRows{{Name: "t", Rows: 3}}},
			}},
		{"a line in a string that looks like a statement", header +
			"USE `a`;\nINSERT INTO `t` VALUES (1,'x\\nUSE `b`;\\nCREATE TABLE `z`'),\n(2,'\nINSERT INTO `q` VALUES (9);');\n",
			[]store.DatabaseContents{{Name: "a", Tables: []store.TableRows{{Name: "t", Rows: 2}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCounter(countMySQL("all"))
			_, _ = c.Write([]byte(tc.dump))
			got, err := c.Contents()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Databases, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got.Databases, tc.want)
			}
		})
	}
}

func TestCountMySQLCutShort(t *testing.T) {
	c := newCounter(countMySQL("app"))
	_, _ = c.Write([]byte("INSERT INTO `t` VALUES (1,'a'),(2,'b"))
	if got, err := c.Contents(); err == nil {
		t.Fatalf("counted %+v from a dump cut inside an INSERT", got)
	}
}
