package config

import (
	"sort"
	"strings"

	"github.com/baktainer/baktainer/parse"
)

// Warning is a variable baktainer does not read although it looks meant for it
// (a typo; a setting of the Ruby Baktainer that something else overrides or that
// baktainer has no equivalent for), or reads in a way its author may not expect.
// It is never silently ignored: the agent and the plugin log it at start, /health
// lists it, and `config check` fails on it. It never repeats the variable's value.
type Warning struct {
	Var     string
	Problem string
}

func (w Warning) String() string { return w.Var + ": " + w.Problem }

// Warnings returns the problems that do not stop baktainer but may mean it does
// not do what was meant, sorted by variable.
func (c Config) Warnings() []Warning { return append([]Warning(nil), c.warnings...) }

// Notices returns what baktainer read other than as written but as meant: a value
// in quotes, a Ruby Baktainer variable applied with its old meaning. They are
// logged at start and shown by `config check`, and fail nothing. Sorted by
// variable; like warnings, they never repeat a value.
func (c Config) Notices() []Warning { return append([]Warning(nil), c.notices...) }

func (c *Config) warn(name, problem string) {
	c.warnings = append(c.warnings, Warning{Var: name, Problem: problem})
}
func (c *Config) note(name, problem string) {
	c.notices = append(c.notices, Warning{Var: name, Problem: problem})
}

// unquoting reads through lookup with one pair of quotes taken off each value
// (docker-compose's list syntax keeps them: `- BT_CRON="0 0 * * *"`), noting each
// variable so read once.
func (c *Config) unquoting(lookup Lookup) Lookup {
	noted := map[string]bool{}
	return func(name string) (string, bool) {
		v, ok := lookup(name)
		u, changed := parse.Unquote(v)
		if changed && !noted[name] {
			noted[name] = true
			c.note(name, "its value is in one pair of quotes (docker-compose's list syntax keeps them as part of the value): read without them")
		}
		return u, ok
	}
}

// RubySettings lists the Ruby Baktainer's variables (RubyVars) that were set, in
// the order of RubyVars, secrets masked; Notices and Warnings say what became of
// each.
func (c Config) RubySettings() []Setting {
	var out []Setting
	for _, v := range rubyVars {
		for _, s := range c.rubySet {
			if s.Name == v.Name {
				if s.Secret {
					s.Value = maskSecret(s.Value)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// sortWarnings orders warnings by variable, keeping the order of each variable's.
func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Var < ws[j].Var })
}

// scriptPrefixes start the variables of baktainer's own scripts (scripts/demo.sh,
// swarm-rollout.sh, the test rig), which share the BT_ prefix but are no settings
// of the binary: not warned about.
var scriptPrefixes = []string{"BT_DEMO_", "BT_ROLLOUT_", "BT_TEST_"}

// unknownVars warns about every BT_* variable in env that baktainer does not read,
// with the nearest known name when one is near enough to be a typo.
func unknownVars(env map[string]string) []Warning {
	known := make([]string, 0, len(vars))
	isKnown := map[string]bool{}
	for _, v := range vars {
		known = append(known, v.Name)
		isKnown[v.Name] = true
	}
	var out []Warning
	for name := range env {
		if !strings.HasPrefix(strings.ToUpper(name), "BT_") || isKnown[name] || isScriptVar(name) || isRubyVar(name) {
			continue
		}
		problem := "not a baktainer setting (ignored)"
		if nearest, ok := parse.Closest(name, known); ok {
			problem += "; did you mean " + nearest + "?"
		}
		out = append(out, Warning{Var: name, Problem: problem})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Var < out[j].Var })
	return out
}

func isScriptVar(name string) bool {
	for _, prefix := range scriptPrefixes {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}
