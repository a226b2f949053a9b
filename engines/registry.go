package engines

import (
	"fmt"
	"sort"
	"strings"

	"github.com/baktainer/baktainer/labels"
)

// Registry maps canonical engine names to engines.
type Registry struct {
	byName map[string]Engine
}

// NewRegistry returns a registry of the given engines.
func NewRegistry(engines ...Engine) *Registry {
	r := &Registry{byName: map[string]Engine{}}
	for _, e := range engines {
		r.byName[e.Name()] = e
	}
	return r
}

// Default returns every engine baktainer ships. This is the one place engines are
// registered.
func Default() *Registry {
	return NewRegistry(
		Postgres{},
		MySQL{},
		MariaDB{},
		SQLite{},
		Redis{},
		MongoDB{},
	)
}

// Lookup returns the engine for an engine label value (aliases allowed).
func (r *Registry) Lookup(value string) (Engine, error) {
	if e, ok := r.byName[labels.CanonicalEngine(value)]; ok {
		return e, nil
	}
	return nil, &labels.Error{Label: labels.Engine, Value: value, Problem: fmt.Sprintf("unknown engine; use one of %s", strings.Join(r.Names(), ", "))}
}

// Names lists the registered engines, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
