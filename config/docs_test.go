package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIG.md's table of variables from config's")

const configDoc = "../docs/CONFIG.md"

// docs/CONFIG.md's table of variables is config's table, row for row, and its
// table of the Ruby Baktainer's variables is config's (`go test ./config -run
// Docs -update` rewrites them).
func TestDocsTableIsConfigsTable(t *testing.T) {
	for _, table := range []struct{ header, want string }{
		{"| Variable | Default | Meaning |\n| --- | --- | --- |\n", docsTable()},
		{"| Ruby variable | What baktainer does with it |\n| --- | --- |\n", rubyDocsTable()},
	} {
		checkDocTable(t, table.header, table.want)
	}
}

func checkDocTable(t *testing.T, header, want string) {
	t.Helper()
	raw, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, header)
	if start < 0 {
		t.Fatalf("%s has no table %q", configDoc, header)
	}
	start += len(header)
	end := start + strings.Index(doc[start:], "\n\n") + 1
	if doc[start:end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(configDoc, []byte(doc[:start]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table differs from config's; run go test ./config -run Docs -update\n--- got\n%s--- want\n%s", configDoc, doc[start:end], want)
}

func rubyDocsTable() string {
	var b strings.Builder
	for _, v := range RubyVars() {
		b.WriteString("| `" + v.Name + "` | " + v.Help + ". |\n")
	}
	return b.String()
}

func docsTable() string {
	var b strings.Builder
	for _, v := range Vars() {
		def := v.Default
		if def == "" {
			def = "(empty)"
		}
		b.WriteString("| `" + v.Name + "` | `" + def + "` | " + v.Help + ".")
		if v.Secret {
			b.WriteString(" **Secret**: masked by `config check`.")
		}
		b.WriteString(" |\n")
	}
	return b.String()
}
