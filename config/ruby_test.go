package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// varsOf lists the variables of warnings or notices, sorted.
func varsOf(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Var)
	}
	slices.Sort(out)
	return out
}

// #13: each variable the Ruby Baktainer read is read with its old meaning, or
// warned about by name with what replaced it; never silently ignored.
func TestRubySettings(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("7a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		check    func(Config) bool
		problems string // variables refused, comma-separated
		warnings []string
		notices  []string
	}{
		{name: "BT_COMPRESS=false", env: map[string]string{"BT_COMPRESS": "false"},
			check: func(c Config) bool { return c.Compression == store.None }, notices: []string{"BT_COMPRESS"}},
		{name: "BT_COMPRESS=true", env: map[string]string{"BT_COMPRESS": "true"},
			check: func(c Config) bool { return c.Compression == store.Zstd }, notices: []string{"BT_COMPRESS"}},
		{name: "BT_COMPRESS against BT_COMPRESSION", env: map[string]string{"BT_COMPRESS": "false", "BT_COMPRESSION": "gzip"},
			check: func(c Config) bool { return c.Compression == store.Gzip }, warnings: []string{"BT_COMPRESS"}},
		{name: "BT_COMPRESS not a boolean", env: map[string]string{"BT_COMPRESS": "maybe"}, problems: "BT_COMPRESS"},
		{name: "rotation off", env: map[string]string{"BT_ROTATION_ENABLED": "false", "BT_RETENTION_DAYS": "7", "BT_MIN_FREE_SPACE_GB": "10"},
			check:    func(c Config) bool { return c.Retention == store.Policy{} },
			warnings: []string{"BT_MIN_FREE_SPACE_GB", "BT_RETENTION_DAYS"}, notices: []string{"BT_ROTATION_ENABLED"}},
		{name: "rotation on", env: map[string]string{"BT_ROTATION_ENABLED": "true", "BT_RETENTION_COUNT": "5"},
			check: func(c Config) bool { return c.Retention.MaxCount == 5 }, notices: []string{"BT_ROTATION_ENABLED"}},
		{name: "encryption asked for with only a Ruby key: refused", env: map[string]string{"BT_ENCRYPTION_ENABLED": "true", "BT_ENCRYPTION_KEY": "a Ruby-era key string"},
			problems: "BT_ENCRYPTION_ENABLED"},
		{name: "encryption asked for with nothing", env: map[string]string{"BT_ENCRYPTION_ENABLED": "true"}, problems: "BT_ENCRYPTION_ENABLED"},
		{name: "Ruby key and age recipients", env: map[string]string{"BT_ENCRYPTION_ENABLED": "true", "BT_ENCRYPTION_KEY": "a Ruby-era key string",
			"BT_ENCRYPTION_RECIPIENTS": id.Recipient().String()},
			check: func(c Config) bool {
				return c.Encryption.Enabled() && len(c.LegacyKeys) == 1 && c.LegacyKeys[0].Form() == legacy.FormDerived
			},
			notices: []string{"BT_ENCRYPTION_ENABLED", "BT_ENCRYPTION_KEY"}},
		{name: "a Ruby key alone: new archives would be plaintext", env: map[string]string{"BT_ENCRYPTION_KEY": strings.Repeat("5e", 32)},
			check: func(c Config) bool {
				return !c.Encryption.Enabled() && len(c.LegacyKeys) == 1 && c.LegacyKeys[0].Form() == legacy.FormHex
			},
			warnings: []string{"BT_ENCRYPTION_KEY"}},
		{name: "a Ruby key, plaintext meant", env: map[string]string{"BT_ENCRYPTION_KEY_FILE": keyFile, "BT_ENCRYPTION_ENABLED": "false"},
			check:   func(c Config) bool { return len(c.LegacyKeys) == 1 && c.LegacyKeys[0].Form() == legacy.FormDerived },
			notices: []string{"BT_ENCRYPTION_ENABLED", "BT_ENCRYPTION_KEY_FILE"}},
		{name: "a bad Ruby key", env: map[string]string{"BT_ENCRYPTION_KEY": "base64:AAAA", "BT_ENCRYPTION_ENABLED": "false"}, problems: "BT_ENCRYPTION_KEY",
			notices: []string{"BT_ENCRYPTION_ENABLED"}},
		{name: "the passphrase opens Ruby archives too", env: map[string]string{"BT_ENCRYPTION_PASSPHRASE": "correct horse battery staple"},
			check: func(c Config) bool {
				return c.Encryption.Mode == store.ModePassphrase && len(c.LegacyKeys) == 1 && c.LegacyKeys[0].Form() == legacy.FormPassphrase
			}},
		{name: "encryption off but recipients set", env: map[string]string{"BT_ENCRYPTION_ENABLED": "false", "BT_ENCRYPTION_RECIPIENTS": id.Recipient().String()},
			check: func(c Config) bool { return c.Encryption.Enabled() }, warnings: []string{"BT_ENCRYPTION_ENABLED"}},
		{name: "notification channels", env: map[string]string{"BT_NOTIFICATION_CHANNELS": "slack, log,email,pager",
			"BT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x", "BT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/x"},
			check:    func(c Config) bool { return c.Notify.Slack != "" && c.Notify.Discord == "" },
			warnings: []string{"BT_DISCORD_WEBHOOK_URL", "BT_NOTIFICATION_CHANNELS", "BT_NOTIFICATION_CHANNELS"},
			notices:  []string{"BT_NOTIFICATION_CHANNELS"}},
		{name: "a channel without its URL", env: map[string]string{"BT_NOTIFICATION_CHANNELS": "teams"},
			warnings: []string{"BT_NOTIFICATION_CHANNELS"}},
		{name: "key rotation, health and summary notifications", env: map[string]string{"BT_KEY_ROTATION_ENABLED": "true",
			"BT_NOTIFY_HEALTH": "true", "BT_NOTIFY_SUMMARY": "true"},
			warnings: []string{"BT_KEY_ROTATION_ENABLED", "BT_NOTIFY_HEALTH", "BT_NOTIFY_SUMMARY"}},
		{name: "turned off", env: map[string]string{"BT_KEY_ROTATION_ENABLED": "false", "BT_NOTIFY_HEALTH": "false", "BT_NOTIFY_SUMMARY": "false"},
			notices: []string{"BT_KEY_ROTATION_ENABLED", "BT_NOTIFY_HEALTH", "BT_NOTIFY_SUMMARY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if got := strings.Join(problemVars(err), ","); got != tc.problems {
				t.Fatalf("problems with %q, want %q: %v", got, tc.problems, err)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("config: %+v", c)
			}
			if got := varsOf(c.Warnings()); !slices.Equal(got, tc.warnings) {
				t.Errorf("warnings about %v, want %v: %v", got, tc.warnings, c.Warnings())
			}
			if got := varsOf(c.Notices()); !slices.Equal(got, tc.notices) {
				t.Errorf("notices about %v, want %v: %v", got, tc.notices, c.Notices())
			}
			for _, w := range append(c.Warnings(), c.Notices()...) {
				for _, secret := range []string{"a Ruby-era key string", strings.Repeat("5e", 32), "hooks.slack.com/services/T0"} {
					if strings.Contains(w.Problem, secret) {
						t.Errorf("%s repeats a secret", w)
					}
				}
			}
			if err != nil && strings.Contains(err.Error(), "a Ruby-era key string") {
				t.Errorf("the error repeats the key: %v", err)
			}
		})
	}
}

// #13: a value in one pair of quotes (the Ruby README's `- BT_CRON="0 0 * * *"`) is
// read without them, with a notice; a Ruby-era key is tried both ways, since the
// Ruby tool used it with its quotes.
func TestQuotedSettings(t *testing.T) {
	c, err := LoadEnviron([]string{`BT_CRON="0 0 * * *"`, `BT_THREADS='4'`, `BT_LOG_LEVEL="debug"`,
		`BT_ENCRYPTION_KEY="` + strings.Repeat("ab", 32) + `"`, "BT_ENCRYPTION_ENABLED=false"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Schedule != "0 0 * * *" || c.Threads != 4 || c.LogLevel.String() != "debug" {
		t.Errorf("quoted values read as %q, %d, %s", c.Schedule, c.Threads, c.LogLevel)
	}
	if got := varsOf(c.Notices()); !slices.Contains(got, "BT_CRON") || !slices.Contains(got, "BT_THREADS") || !slices.Contains(got, "BT_LOG_LEVEL") {
		t.Errorf("notices about %v", got)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("warnings: %v", c.Warnings())
	}
	var forms []legacy.KeyForm
	for _, k := range c.LegacyKeys {
		forms = append(forms, k.Form())
	}
	if !slices.Equal(forms, []legacy.KeyForm{legacy.FormDerived, legacy.FormHex}) {
		t.Errorf("a quoted Ruby key gives the keys %v, want the string with its quotes (derived) and without (hex)", forms)
	}
}
