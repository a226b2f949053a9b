package layers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is the module's path; packages are named below it.
const module = "github.com/baktainer/baktainer"

// layer is one level of the module: its packages import only packages of the
// layers below it (never of their own layer, never above).
type layer struct {
	name     string
	packages []string
}

// layers are the module's packages from the bottom up. This table is the rule;
// docs/ARCHITECTURE.md mirrors it. A new package goes into the lowest layer
// above everything it imports.
var layers = []layer{
	{"base: imports nothing of ours", []string{"atomicfile", "bench/sqlgen", "docker", "notify", "parse", "version", "legacy/legacytest"}},
	{"vocabulary: labels and the archive store", []string{"labels", "store", "agent/fakedocker"}},
	{"engines and off-host copies", []string{"engines", "offsite"}},
	{"Ruby-era archives", []string{"legacy", "engines/enginetest"}},
	{"settings and test-restores", []string{"config", "drill"}},
	{"the agent", []string{"agent"}},
	{"built on the agent", []string{"dashboard", "metrics", "plugin"}},
	{"the HTTP server", []string{"server"}},
	{"the binary: flags and wiring", []string{"cmd/baktainer"}},
	{"tools and tests", []string{"bench/gensql", "bench/offsiteupload", "integration/rig", "integration/testhelper", "layers"}},
}

// layerOf maps each package (relative to the module) to its layer's index.
func layerOf() map[string]int {
	out := map[string]int{}
	for i, l := range layers {
		for _, p := range l.packages {
			out[p] = i
		}
	}
	return out
}

// listed is what `go list -json` says of one package.
type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
	Module     *struct{ Path string }
}

// ourPackages lists the module's packages (as built: -tags nosystemd) with the
// packages of ours each imports, relative to the module.
func ourPackages(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json", "-tags", "nosystemd", "./...")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		rel, ok := ours(p.ImportPath)
		if p.Standard || !ok {
			continue
		}
		var imports []string
		for _, imp := range p.Imports {
			if r, ok := ours(imp); ok {
				imports = append(imports, r)
			}
		}
		pkgs[rel] = imports
	}
	return pkgs
}

func ours(importPath string) (string, bool) {
	return strings.CutPrefix(importPath, module+"/")
}

// upward returns one message per import of pkgs that breaks the layering, and
// per package in no layer.
func upward(pkgs map[string][]string, layerOf map[string]int) []string {
	var problems []string
	for _, p := range slices.Sorted(maps.Keys(pkgs)) {
		mine, ok := layerOf[p]
		if !ok {
			problems = append(problems, fmt.Sprintf("package %s is in no layer: add it to the lowest layer above everything it imports (layers_test.go and docs/ARCHITECTURE.md)", p))
			continue
		}
		for _, imp := range pkgs[p] {
			theirs, ok := layerOf[imp]
			if ok && theirs >= mine {
				problems = append(problems, fmt.Sprintf("%s (layer %d, %s) imports %s (layer %d, %s): a package imports only layers below its own",
					p, mine, layers[mine].name, imp, theirs, layers[theirs].name))
			}
		}
	}
	return problems
}

// Every package of the module is in a layer and imports only packages of the
// layers below its own; the table names no package that does not exist.
func TestLayering(t *testing.T) {
	pkgs := ourPackages(t)
	for _, problem := range upward(pkgs, layerOf()) {
		t.Error(problem)
	}
	for p := range layerOf() {
		if _, ok := pkgs[p]; !ok {
			t.Errorf("the layers name %s, which is no package of the module (removed? renamed?)", p)
		}
	}
}

// The rule itself: an import of the same layer or above is caught, one below
// is not, and a package in no layer is reported.
func TestUpwardFindsWhatBreaksTheRule(t *testing.T) {
	layerOf := map[string]int{"store": 1, "labels": 1, "agent": 3, "parse": 0}
	got := upward(map[string][]string{
		"store":  {"parse", "agent", "labels"},
		"agent":  {"store"},
		"newpkg": {"parse"},
	}, layerOf)
	want := []string{"store (layer 1", "imports agent (layer 3", "imports labels (layer 1", "package newpkg is in no layer"}
	if len(got) != 3 {
		t.Fatalf("got %d problems, want 3: %q", len(got), got)
	}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("the problems do not say %q:\n%s", w, joined)
		}
	}
}

// docRow matches a row of docs/ARCHITECTURE.md's package table: | `pkg` | N | job |.
var docRow = regexp.MustCompile("^\\| `([a-z0-9/]+)` \\| ([0-9]+) \\| (.+) \\|$")

// docs/ARCHITECTURE.md lists every package once, in the layer this table puts
// it in, with its one-line job.
func TestArchitectureDocMirrorsTheLayers(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := docRow.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if _, twice := documented[m[1]]; twice {
			t.Errorf("docs/ARCHITECTURE.md lists %s twice", m[1])
		}
		documented[m[1]] = n
	}
	want := layerOf()
	for p, n := range want {
		if got, ok := documented[p]; !ok {
			t.Errorf("docs/ARCHITECTURE.md does not list %s (layer %d)", p, n)
		} else if got != n {
			t.Errorf("docs/ARCHITECTURE.md puts %s in layer %d; the rule says %d", p, got, n)
		}
	}
	for p := range documented {
		if _, ok := want[p]; !ok {
			t.Errorf("docs/ARCHITECTURE.md lists %s, which no layer holds", p)
		}
	}
}
