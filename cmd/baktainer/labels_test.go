package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

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
