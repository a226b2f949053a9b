package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIG.md's table of variables from config's")

const configDoc = "../docs/CONFIG.md"

// docs/CONFIG.md's table of variables is config's table, row for row
// (`go test ./config -run Docs -update` rewrites it).
func TestDocsTableIsConfigsTable(t *testing.T) {
	raw, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const header = "| Variable | Default | Meaning |\n| --- | --- | --- |\n"
	start := strings.Index(doc, header)
	if start < 0 {
		t.Fatalf("%s has no table of variables", configDoc)
	}
	start += len(header)
	end := start + strings.Index(doc[start:], "\n\n") + 1
	want := docsTable()
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
