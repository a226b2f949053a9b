package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the command line as main does, with env as the only BT_* settings.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	for name, value := range env {
		t.Setenv(name, value)
	}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// #10.2, #10.3, #10.7: `config check` refuses values that would quietly change
// what baktainer does, and names the nearest known setting for a typo.
func TestConfigCheckRefusesWhatWouldQuietlyMisbehave(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // in stderr
	}{
		{"NaN free space", map[string]string{"BT_MIN_FREE_SPACE_GB": "NaN"}, "BT_MIN_FREE_SPACE_GB:"},
		{"infinite free space", map[string]string{"BT_MIN_FREE_SPACE_GB": "Inf"}, "BT_MIN_FREE_SPACE_GB:"},
		{"absurd free space", map[string]string{"BT_MIN_FREE_SPACE_GB": "1e300"}, "BT_MIN_FREE_SPACE_GB:"},
		{"days that overflow", map[string]string{"BT_RETENTION_DAYS": "213504"}, "BT_RETENTION_DAYS:"},
		{"days that wrap negative", map[string]string{"BT_RETENTION_DAYS": "106752"}, "BT_RETENTION_DAYS:"},
		{"seconds that overflow", map[string]string{"BT_BACKUP_TIMEOUT": "9223372036854775807"}, "BT_BACKUP_TIMEOUT:"},
		{"blank passphrase", map[string]string{"BT_ENCRYPTION_PASSPHRASE": " "}, "BT_ENCRYPTION_PASSPHRASE:"},
		{"typo of recipients", map[string]string{"BT_ENCRYPTION_RECIPIENT": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"},
			"did you mean BT_ENCRYPTION_RECIPIENTS?"},
		{"typo of cron", map[string]string{"BT_CORN": "@daily"}, "did you mean BT_CRON?"},
		{"typo of days", map[string]string{"BT_RETENTION_DAY": "7"}, "did you mean BT_RETENTION_DAYS?"},
		{"Ruby key without encryption", map[string]string{"BT_ENCRYPTION_KEY": "k"}, "BT_ENCRYPTION_KEY: new archives are NOT encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.env, "config", "check")
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("config check with %v: exit %d, want non-zero and %q in stderr:\n%s%s", tc.env, code, tc.want, out, errOut)
			}
			if strings.Contains(out+errOut, "ql3z7hjy54pw3hyww5") && tc.name != "typo of recipients" {
				t.Errorf("a value is repeated")
			}
		})
	}
}

// #10.12: the CLI explains itself on stdout with exit 0, per command too; usage
// errors (bad flag values included) exit 2.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"-h"}, {"help"}} {
		out, errOut, code := runCLI(t, nil, args...)
		if code != 0 || !strings.Contains(out, "backup") || !strings.Contains(out, "prune") || errOut != "" {
			t.Errorf("baktainer %q: exit %d, stdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"help", "backup"}, []string{"--dir", "--via", "Example:", "baktainer backup "}},
		{[]string{"backup", "--help"}, []string{"--dir", "--via", "Example:"}},
		{[]string{"plan", "-h"}, []string{"--state-dir", "--selector", "--json"}},
		{[]string{"help", "archive", "pack"}, []string{"--level", "--engine", "(default \"fastest\")", "Example:"}},
		{[]string{"archive", "pack", "--help"}, []string{"--level", "--compress"}},
		{[]string{"archive", "--help"}, []string{"pack", "unpack"}},
		{[]string{"help", "labels"}, []string{"check", "example"}},
		{[]string{"labels", "check", "--help"}, []string{"--label"}},
		{[]string{"help", "config"}, []string{"config check"}},
		{[]string{"agent", "--help"}, []string{"--backup-dir", "--state-dir", "--selector"}},
		{[]string{"help", "version"}, []string{"baktainer version"}},
	} {
		out, errOut, code := runCLI(t, nil, tc.args...)
		for _, want := range tc.want {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("baktainer %q: exit %d, want %q in stdout:\n%s\nstderr:\n%s", tc.args, code, want, out, errOut)
				break
			}
		}
	}
	for _, args := range [][]string{
		{"archive", "pack", "--name", "x", "--compress", "bad"},
		{"archive", "pack", "--name", "x", "--level", "bad"},
		{"no-such-command"},
		{"help", "no-such-command"},
		{"backup"},
		{"list", "--no-such-flag"},
	} {
		if _, errOut, code := runCLI(t, nil, args...); code != 2 {
			t.Errorf("baktainer %q: exit %d, want 2 (usage): %s", args, code, errOut)
		}
	}
}
