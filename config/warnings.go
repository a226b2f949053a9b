package config

import (
	"sort"
	"strings"

	"github.com/baktainer/baktainer/parse"
)

// Warning is a variable baktainer does not read although it looks meant for it:
// a typo, or a setting of the Ruby Baktainer that has no meaning here yet. It is
// never silently ignored: the agent and the plugin log it at start, /health lists
// it, and `config check` fails on it. It never repeats the variable's value.
type Warning struct {
	Var     string
	Problem string
}

func (w Warning) String() string { return w.Var + ": " + w.Problem }

// Warnings returns the problems that do not stop baktainer but may mean it does
// not do what was meant, sorted by variable.
func (c Config) Warnings() []Warning { return append([]Warning(nil), c.warnings...) }

// rubyVars are the variables the Ruby Baktainer read that baktainer does not (yet):
// each with what to do instead. Keep in step with docs/CONFIG.md.
var rubyVars = map[string]string{
	"BT_DOCKER_URL":            "the Docker endpoint; baktainer reads DOCKER_HOST instead",
	"BT_SSL":                   "Docker over TLS; baktainer reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH instead",
	"BT_CA":                    "Docker over TLS; put ca.pem in DOCKER_CERT_PATH instead",
	"BT_CERT":                  "Docker over TLS; put cert.pem in DOCKER_CERT_PATH instead",
	"BT_KEY":                   "Docker over TLS; put key.pem in DOCKER_CERT_PATH instead",
	"BT_COMPRESS":              "use BT_COMPRESSION (zstd, gzip or none)",
	"BT_ENCRYPTION_ENABLED":    "archives are encrypted when BT_ENCRYPTION_RECIPIENTS or BT_ENCRYPTION_PASSPHRASE is set",
	"BT_ENCRYPTION_KEY":        "archives are NOT encrypted with it; use BT_ENCRYPTION_RECIPIENTS (age public keys) or BT_ENCRYPTION_PASSPHRASE",
	"BT_ENCRYPTION_KEY_FILE":   "archives are NOT encrypted with it; use BT_ENCRYPTION_RECIPIENTS_FILE or BT_ENCRYPTION_PASSPHRASE_FILE",
	"BT_KEY_ROTATION_ENABLED":  "baktainer has no key rotation; change BT_ENCRYPTION_RECIPIENTS when keys change",
	"BT_ROTATION_ENABLED":      "retention runs whenever a BT_RETENTION_* rule is set",
	"BT_NOTIFICATION_CHANNELS": "use BT_NOTIFICATION_URLS or the BT_*_WEBHOOK_URL settings",
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
		if !strings.HasPrefix(strings.ToUpper(name), "BT_") || isKnown[name] || isScriptVar(name) {
			continue
		}
		if hint, ok := rubyVars[name]; ok {
			out = append(out, Warning{Var: name, Problem: "read by the Ruby Baktainer, not supported yet (ignored): " + hint})
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
