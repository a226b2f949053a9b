package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestVerifySettings(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		check func(v Verify) bool
		bad   string // the variable the error names
	}{
		{name: "off by default", check: func(v Verify) bool {
			return v.Schedule == "" && v.Threads == 1 && v.Timeout == 30*time.Minute && len(v.Identities) == 0
		}},
		{name: "off spelled out", env: map[string]string{"BT_VERIFY_CRON": "off"}, check: func(v Verify) bool { return v.Schedule == "" }},
		{name: "a schedule", env: map[string]string{"BT_VERIFY_CRON": "@every 6h", "BT_VERIFY_THREADS": "2", "BT_VERIFY_TIMEOUT": "10m"},
			check: func(v Verify) bool { return v.Schedule == "@every 6h" && v.Threads == 2 && v.Timeout == 10*time.Minute }},
		{name: "not a schedule", env: map[string]string{"BT_VERIFY_CRON": "weekly-ish"}, bad: "BT_VERIFY_CRON"},
		{name: "too many threads", env: map[string]string{"BT_VERIFY_THREADS": "0"}, bad: "BT_VERIFY_THREADS"},
		{name: "an identity file", env: map[string]string{"BT_VERIFY_IDENTITY_FILE": keyFile},
			check: func(v Verify) bool { return len(v.Identities) == 1 }},
		{name: "a missing identity file", env: map[string]string{"BT_VERIFY_IDENTITY_FILE": keyFile + ".gone"}, bad: "BT_VERIFY_IDENTITY_FILE"},
		{name: "a relative identity file", env: map[string]string{"BT_VERIFY_IDENTITY_FILE": "key.txt"}, bad: "BT_VERIFY_IDENTITY_FILE"},
		// The agent holds the passphrase anyway: its test-restores open what it writes.
		{name: "passphrase encryption", env: map[string]string{"BT_ENCRYPTION_PASSPHRASE": "correct horse battery staple"},
			check: func(v Verify) bool { return len(v.Identities) == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want one naming %s", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c.Verify) {
				t.Errorf("verify settings = %+v", c.Verify)
			}
		})
	}
}
