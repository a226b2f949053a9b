package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

func TestLeafErrorsListsEachProblem(t *testing.T) {
	engine := &labels.Error{Label: labels.Engine, Value: "oracle", Problem: "unknown engine"}
	all := &labels.Error{Label: labels.All, Value: "maybe", Problem: "must be true or false"}
	validate := errors.Join(&labels.Error{Label: labels.Database, Problem: "is required"}, &labels.Error{Label: labels.User, Problem: "no users"})
	resolved := fmt.Errorf("container db: %w", errors.Join(errors.Join(engine, all), validate))
	var got []string
	for _, e := range leafErrors(resolved) {
		got = append(got, e.Error())
	}
	want := []string{
		`label baktainer.db.engine="oracle": unknown engine`,
		`label baktainer.db.all="maybe": must be true or false`,
		"label baktainer.db.name: is required",
		"label baktainer.db.user: no users",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leafErrors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The parser reports a label and drops its value; the engine's "is required"
	// for the same label only repeats the problem.
	parsed := &labels.Error{Label: labels.Database, Value: "relative.db", Problem: "must be the database file's absolute path"}
	again := &labels.Error{Label: labels.Database, Problem: "is required for sqlite"}
	if got := leafErrors(fmt.Errorf("container db: %w", errors.Join(parsed, errors.Join(again, all)))); len(got) != 2 || got[0] != error(parsed) || got[1] != error(all) {
		t.Errorf("leafErrors with a repeated label = %v", got)
	}
	// Other errors keep their own context.
	inspect := errors.New("docker: inspect container x: No such container: x")
	if got := leafErrors(inspect); len(got) != 1 || got[0] != inspect {
		t.Errorf("leafErrors(%v) = %v", inspect, got)
	}
}

func TestLabelsExampleCommand(t *testing.T) {
	var out bytes.Buffer
	if err := labelsExample(&out, []string{"postgresql"}); err != nil || !strings.Contains(out.String(), "baktainer.db.engine: postgres") {
		t.Fatalf("labels example postgresql: %v\n%s", err, out.String())
	}
	if err := labelsExample(&out, nil); !errors.Is(err, errUsage) {
		t.Errorf("labels example without an engine: %v, want a usage error", err)
	}
	if err := labelsExample(&out, []string{"oracle"}); err == nil || !strings.Contains(err.Error(), "label baktainer.db.engine") {
		t.Errorf("labels example oracle: %v", err)
	}
}

// `labels example ENGINE --control` prints, for every engine, a compose file
// whose database service's labels pass labels.Parse and the engine's Validate,
// with every label of issue #14 the engine takes, and its companions the labels
// that let hooks in and stop them.
func TestLabelsControlExample(t *testing.T) {
	for _, name := range engines.Default().Names() {
		var out bytes.Buffer
		if err := labelsControlExample(&out, []string{name}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var file struct {
			Services map[string]struct {
				ContainerName string            `yaml:"container_name"`
				Labels        map[string]string `yaml:"labels"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(out.Bytes(), &file); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out.String())
		}
		eng, _ := engines.Default().Lookup(name)
		db := file.Services[eng.Example().Service]
		spec, err := labels.Parse(db.Labels)
		if err == nil {
			err = eng.Validate(spec)
		}
		if err != nil {
			t.Errorf("%s: the example's labels are refused: %v\n%s", name, err, out.String())
		}
		if len(spec.Schedules) != 2 || spec.Once == nil || spec.Hooks.Pre == nil || spec.StopDuringBackup == "" {
			t.Errorf("%s: the example lacks control labels: %+v", name, spec)
		}
		wantSplit := name != "sqlite" && name != "redis"
		if spec.Split != wantSplit || (spec.DumpOptions != nil) != wantSplit {
			t.Errorf("%s: split %v, options %v", name, spec.Split, spec.DumpOptions)
		}
		app := file.Services["web"]
		if app.ContainerName != spec.Hooks.Container || app.Labels[labels.HookAllow] != db.ContainerName ||
			file.Services["worker"].Labels[labels.StopGroup] != spec.StopDuringBackup {
			t.Errorf("%s: the companions do not match:\n%s", name, out.String())
		}
	}
}
