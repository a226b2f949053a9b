package config

import (
	"os"
	"strings"
	"testing"
)

// docs/CONFIG.md documents every variable.
func TestDocsListEveryVariable(t *testing.T) {
	doc, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars() {
		if !strings.Contains(string(doc), "| `"+v.Name+"` |") {
			t.Errorf("docs/CONFIG.md lacks %s", v.Name)
		}
	}
}
