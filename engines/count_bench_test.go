package engines

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCount measures what counting adds to a backup: the parse of a dump
// stream, per engine, in 32 KiB writes as a dump arrives.
func BenchmarkCount(b *testing.B) {
	var pg, my strings.Builder
	pg.WriteString("-- PostgreSQL database dump\nCOPY public.t (id, name) FROM stdin;\n")
	my.WriteString("-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n-- Host: localhost    Database: app\nINSERT INTO `t` VALUES ")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&pg, "%d\tname number %d with some text, and more text\n", i, i)
		if i > 0 {
			my.WriteString(",\n")
		}
		fmt.Fprintf(&my, "(%d,'name number %d with some text, and \\'quoted\\' (text)')", i, i)
	}
	pg.WriteString("\\.\n")
	my.WriteString(";\n")
	for _, tc := range []struct {
		name  string
		dump  string
		parse func() parseFunc
	}{
		{"postgres", pg.String(), func() parseFunc { return countPostgres("app") }},
		{"mysql", my.String(), func() parseFunc { return countMySQL("app") }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := []byte(tc.dump)
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				c := newCounter(tc.parse())
				for p := data; len(p) > 0; {
					n := min(len(p), 32<<10)
					_, _ = c.Write(p[:n])
					p = p[n:]
				}
				if _, err := c.Contents(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
