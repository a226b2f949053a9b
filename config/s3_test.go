package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// s3Env is a complete off-host setup, for the table below to change.
func s3Env(change map[string]string) map[string]string {
	m := map[string]string{"BT_S3_ENDPOINT": "minio.internal:9000", "BT_S3_BUCKET": "backups",
		"BT_S3_ACCESS_KEY": "AKIAEXAMPLE", "BT_S3_SECRET_KEY": "wJalrXUtnFEMI-secret"}
	for k, v := range change {
		if v == "-" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// The BT_S3_* settings: off unless one is set; then all must be right, each
// problem naming its variable and never a credential.
func TestS3Settings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		refused []string // the variables named by the errors
	}{
		{"none set: off", nil, false, nil},
		{"complete", s3Env(nil), true, nil},
		{"a prefix and a region", s3Env(map[string]string{"BT_S3_PREFIX": "/prod/db/", "BT_S3_REGION": "eu-central-1"}), true, nil},
		{"credentials alone are half a setup", map[string]string{"BT_S3_ACCESS_KEY": "AKIAEXAMPLE"}, false,
			[]string{"BT_S3_ENDPOINT", "BT_S3_BUCKET", "BT_S3_SECRET_KEY"}},
		{"a remote retention alone too", map[string]string{"BT_S3_RETENTION_COUNT": "30"}, false,
			[]string{"BT_S3_ENDPOINT", "BT_S3_BUCKET", "BT_S3_ACCESS_KEY", "BT_S3_SECRET_KEY"}},
		{"insecure alone too", map[string]string{"BT_S3_INSECURE": "true"}, false,
			[]string{"BT_S3_ENDPOINT", "BT_S3_BUCKET", "BT_S3_ACCESS_KEY", "BT_S3_SECRET_KEY"}},
		{"a scheme in the endpoint", s3Env(map[string]string{"BT_S3_ENDPOINT": "https://minio:9000"}), true, []string{"BT_S3_ENDPOINT"}},
		{"no bucket", s3Env(map[string]string{"BT_S3_BUCKET": "-"}), true, []string{"BT_S3_BUCKET"}},
		{"a bad bucket", s3Env(map[string]string{"BT_S3_BUCKET": "Back_Ups"}), true, []string{"BT_S3_BUCKET"}},
		{"a bad prefix", s3Env(map[string]string{"BT_S3_PREFIX": "a/../b"}), true, []string{"BT_S3_PREFIX"}},
		{"no secret key", s3Env(map[string]string{"BT_S3_SECRET_KEY": "-"}), true, []string{"BT_S3_SECRET_KEY"}},
		{"a blank secret key", s3Env(map[string]string{"BT_S3_SECRET_KEY": "  "}), true, []string{"BT_S3_SECRET_KEY", "BT_S3_SECRET_KEY"}},
		{"a CA with plain HTTP", s3Env(map[string]string{"BT_S3_INSECURE": "true", "BT_S3_CA_FILE": "/ca.pem"}), true, []string{"BT_S3_INSECURE"}},
		{"a bad remote count", s3Env(map[string]string{"BT_S3_RETENTION_COUNT": "-1"}), true, []string{"BT_S3_RETENTION_COUNT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if c.S3Enabled() != tc.enabled {
				t.Errorf("S3Enabled = %v, want %v", c.S3Enabled(), tc.enabled)
			}
			var named []string
			for _, e := range flatten(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Fatalf("an error naming no variable: %v", e)
				}
				named = append(named, ce.Var)
				if strings.Contains(e.Error(), "wJalrXUtnFEMI") || strings.Contains(e.Error(), "AKIAEXAMPLE") {
					t.Errorf("an error shows a credential: %v", e)
				}
			}
			slices.Sort(named)
			want := slices.Clone(tc.refused)
			slices.Sort(want)
			if !slices.Equal(named, want) {
				t.Errorf("errors name %v, want %v: %v", named, want, err)
			}
		})
	}
}

// The credentials come from a file each (Docker secrets), trimmed; a variable
// and its _FILE variant together are an error.
func TestS3CredentialFiles(t *testing.T) {
	dir := t.TempDir()
	access, secret := filepath.Join(dir, "access"), filepath.Join(dir, "secret")
	if err := os.WriteFile(access, []byte("AKIAFROMFILE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("secret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(s3Env(map[string]string{"BT_S3_ACCESS_KEY": "-", "BT_S3_SECRET_KEY": "-",
		"BT_S3_ACCESS_KEY_FILE": access, "BT_S3_SECRET_KEY_FILE": secret})))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.AccessKey != "AKIAFROMFILE" || c.S3.SecretKey != "secret-from-file" {
		t.Errorf("credentials from files: %q", c.S3.AccessKey)
	}
	_, err = Load(env(s3Env(map[string]string{"BT_S3_SECRET_KEY_FILE": secret})))
	if err == nil || !strings.Contains(err.Error(), "BT_S3_SECRET_KEY: is set together with BT_S3_SECRET_KEY_FILE") {
		t.Errorf("both set: %v", err)
	}
	_, err = Load(env(s3Env(map[string]string{"BT_S3_SECRET_KEY": "-", "BT_S3_SECRET_KEY_FILE": filepath.Join(dir, "missing")})))
	if err == nil || !strings.Contains(err.Error(), "BT_S3_SECRET_KEY_FILE: ") {
		t.Errorf("a missing file: %v", err)
	}
}

// BT_S3_RETENTION_* replace the local rules for the remote copies, rule by
// rule; unset ones keep the local rule, 0 turns one off.
func TestS3RetentionLayersOverTheLocalPolicy(t *testing.T) {
	c, err := Load(env(s3Env(map[string]string{"BT_RETENTION_COUNT": "3", "BT_RETENTION_DAYS": "7",
		"BT_S3_RETENTION_COUNT": "30", "BT_S3_RETENTION_DAYS": "0"})))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy(c.S3Retention)
	if p.MaxCount != 30 || p.MaxAge != 0 || c.Retention.MaxCount != 3 || c.Retention.MaxAge != 7*24*time.Hour {
		t.Errorf("remote policy %+v, local %+v", p, c.Retention)
	}
	for name, want := range map[string]string{"BT_S3_RETENTION_COUNT": "30", "BT_S3_RETENTION_DAYS": "0", "BT_S3_RETENTION_WEEKLY": ""} {
		for _, s := range c.Effective() {
			if s.Name == name && s.Value != want {
				t.Errorf("%s shown as %q, want %q", name, s.Value, want)
			}
		}
	}
}
