package config

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/baktainer/baktainer/legacy"
)

// The Ruby tool's key variables (moved here from legacy.KeysFromEnv): every one
// set gives a key, in the Ruby tool's order; a key file is a small regular file;
// errors name the variable, never the key.
func TestLegacyKeysFromEnv(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		sources []string
		wantErr string
	}{
		{"none", map[string]string{}, nil, ""},
		{"empty is unset", map[string]string{legacy.EnvKey: "", legacy.EnvPassphrase: ""}, nil, ""},
		{"every one, in the Ruby tool's order", map[string]string{legacy.EnvPassphrase: "a passphrase", legacy.EnvKey: "k"},
			[]string{legacy.EnvKey, legacy.EnvPassphrase}, ""},
		{"missing key file", map[string]string{legacy.EnvKeyFile: filepath.Join(dir, "nope")}, nil, legacy.EnvKeyFile + ": open"},
		{"key file is a FIFO", map[string]string{legacy.EnvKeyFile: fifo}, nil, "not a regular file"},
		{"bad key", map[string]string{legacy.EnvKey: strings.Repeat("é", 32)}, nil, legacy.EnvKey + ": 32 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["BT_ENCRYPTION_ENABLED"] = "false"
			c, err := Load(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "é") {
					t.Fatalf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range c.LegacyKeys {
				got = append(got, k.Source())
			}
			if strings.Join(got, ",") != strings.Join(tc.sources, ",") {
				t.Fatalf("sources %v, want %v", got, tc.sources)
			}
		})
	}
}
