package agent

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

func namedEntry(id, container, name, dest string, problem error) *entry {
	return &entry{target: engines.Target{Container: docker.Container{ID: id, Name: container}, Spec: labels.Spec{Name: name}},
		destination: dest, problem: problem}
}

func TestNameHolder(t *testing.T) {
	holder := namedEntry("1", "first", "shop", "volume a", nil)
	others := []*entry{holder, namedEntry("2", "elsewhere", "shop", "volume b", nil),
		namedEntry("3", "broken", "cart", "volume a", errors.New("labels wrong"))}
	for _, tc := range []struct {
		name string
		e    *entry
		want *entry
	}{
		{"same name, same destination", namedEntry("9", "second", "shop", "volume a", nil), holder},
		{"same name, other destination", namedEntry("9", "second", "shop", "volume c", nil), nil},
		{"other name", namedEntry("9", "second", "blog", "volume a", nil), nil},
		{"the holder itself, again", namedEntry("1", "first", "shop", "volume a", nil), nil},
		{"a holder with wrong labels holds nothing", namedEntry("9", "second", "cart", "volume a", nil), nil},
		{"wrong labels claim nothing", namedEntry("9", "second", "shop", "volume a", errors.New("x")), nil},
	} {
		if got := nameHolder(tc.e, slices.Values(others)); got != tc.want {
			t.Errorf("%s: holder %v, want %v", tc.name, got, tc.want)
		}
	}
	err := nameConflict(namedEntry("9", "second", "shop", "volume a", nil), holder)
	var le *labels.Error
	if !errors.As(err, &le) || le.Label != labels.Name {
		t.Errorf("conflict %v is not a *labels.Error for %s", err, labels.Name)
	}
	for _, want := range []string{"second", "first", labels.Name, "shop", "volume a"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("conflict %q does not say %q", err, want)
		}
	}
}
