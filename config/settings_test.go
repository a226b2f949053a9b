package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// problemVars lists the variables Load's error names, in order.
func problemVars(err error) []string {
	var out []string
	for _, e := range flatten(err) {
		var ce *Error
		if errors.As(e, &ce) {
			out = append(out, ce.Var)
		} else {
			out = append(out, "?"+e.Error())
		}
	}
	return out
}

// #10.2, #10.3: every number is range-checked; overflow and NaN are refused, and
// what is accepted is what is used.
func TestRetentionAndSizes(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want store.Policy
		bad  string // the variable refused
	}{
		{map[string]string{"BT_RETENTION_DAYS": "7", "BT_RETENTION_COUNT": " 10 "}, store.Policy{MaxAge: 7 * parse.Day, MaxCount: 10}, ""},
		{map[string]string{"BT_RETENTION_DAILY": "7", "BT_RETENTION_WEEKLY": "4", "BT_RETENTION_MONTHLY": "12"}, store.Policy{KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12}, ""},
		{map[string]string{"BT_MIN_FREE_SPACE_GB": "0.5"}, store.Policy{MinFreeBytes: 1 << 29}, ""},
		{map[string]string{"BT_RETENTION_DAYS": "36500"}, store.Policy{MaxAge: 36500 * parse.Day}, ""},
		{map[string]string{"BT_RETENTION_DAYS": ""}, store.Policy{}, ""},
		{map[string]string{"BT_RETENTION_DAYS": "213504"}, store.Policy{}, "BT_RETENTION_DAYS"},
		{map[string]string{"BT_RETENTION_DAYS": "106752"}, store.Policy{}, "BT_RETENTION_DAYS"},
		{map[string]string{"BT_RETENTION_DAYS": "seven"}, store.Policy{}, "BT_RETENTION_DAYS"},
		{map[string]string{"BT_RETENTION_COUNT": "-1"}, store.Policy{}, "BT_RETENTION_COUNT"},
		{map[string]string{"BT_RETENTION_COUNT": "99999999999999999999"}, store.Policy{}, "BT_RETENTION_COUNT"},
		{map[string]string{"BT_RETENTION_MONTHLY": "1.5"}, store.Policy{}, "BT_RETENTION_MONTHLY"},
		{map[string]string{"BT_MIN_FREE_SPACE_GB": "NaN"}, store.Policy{}, "BT_MIN_FREE_SPACE_GB"},
		{map[string]string{"BT_MIN_FREE_SPACE_GB": "-Inf"}, store.Policy{}, "BT_MIN_FREE_SPACE_GB"},
		{map[string]string{"BT_MIN_FREE_SPACE_GB": "1e300"}, store.Policy{}, "BT_MIN_FREE_SPACE_GB"},
		{map[string]string{"BT_MIN_FREE_SPACE_GB": "-2"}, store.Policy{}, "BT_MIN_FREE_SPACE_GB"},
		{map[string]string{"BT_BACKUP_TIMEOUT": "9223372036854775807"}, store.Policy{}, "BT_BACKUP_TIMEOUT"},
		{map[string]string{"BT_BACKUP_TIMEOUT": "-1h"}, store.Policy{}, "BT_BACKUP_TIMEOUT"},
		{map[string]string{"BT_RESYNC_INTERVAL": "2562048h"}, store.Policy{}, "BT_RESYNC_INTERVAL"},
		{map[string]string{"BT_NOTIFY_TIMEOUT": "0"}, store.Policy{}, "BT_NOTIFY_TIMEOUT"},
	} {
		c, err := Load(env(tc.env))
		got := strings.Join(problemVars(err), ",")
		if got != tc.bad {
			t.Errorf("%v: problems with %q, want %q (%v)", tc.env, got, tc.bad, err)
			continue
		}
		if tc.bad == "" && c.Retention != tc.want {
			t.Errorf("%v: policy %+v, want %+v", tc.env, c.Retention, tc.want)
		}
		if tc.bad != "" && strings.Contains(err.Error(), "%!") {
			t.Errorf("badly formatted error: %v", err)
		}
	}
}

func TestShownAsUsed(t *testing.T) {
	c, err := Load(env(map[string]string{"BT_MIN_FREE_SPACE_GB": "0.1", "BT_RETENTION_DAYS": "36500", "BT_BACKUP_TIMEOUT": "5400"}))
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	for _, s := range c.Effective() {
		shown[s.Name] = s.Value
	}
	if shown["BT_RETENTION_DAYS"] != "36500" || shown["BT_BACKUP_TIMEOUT"] != "1h30m0s" {
		t.Errorf("shown: %v", shown)
	}
	back, err := parse.GiBytes(shown["BT_MIN_FREE_SPACE_GB"])
	if err != nil || back != c.Retention.MinFreeBytes {
		t.Errorf("BT_MIN_FREE_SPACE_GB shown as %s: %d bytes, used %d", shown["BT_MIN_FREE_SPACE_GB"], back, c.Retention.MinFreeBytes)
	}
}

func TestPolicyLayers(t *testing.T) {
	n := func(v int) *int { return &v }
	c, err := Load(env(map[string]string{"BT_RETENTION_DAYS": "7", "BT_RETENTION_COUNT": "10", "BT_MIN_FREE_SPACE_GB": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		layers []labels.Retention
		want   store.Policy
	}{
		{"settings only", nil, store.Policy{MaxAge: 7 * parse.Day, MaxCount: 10, MinFreeBytes: 1 << 30}},
		{"volume count", []labels.Retention{{Count: n(2)}}, store.Policy{MaxAge: 7 * parse.Day, MaxCount: 2, MinFreeBytes: 1 << 30}},
		{"volume off", []labels.Retention{{Days: n(0), Count: n(0)}}, store.Policy{MinFreeBytes: 1 << 30}},
		{"label wins", []labels.Retention{{Count: n(2), Days: n(30)}, {Count: n(5)}},
			store.Policy{MaxAge: 30 * parse.Day, MaxCount: 5, MinFreeBytes: 1 << 30}},
		{"gfs from labels", []labels.Retention{{}, {Weekly: n(4), Monthly: n(12), Daily: n(3)}},
			store.Policy{MaxAge: 7 * parse.Day, MaxCount: 10, KeepDaily: 3, KeepWeekly: 4, KeepMonthly: 12, MinFreeBytes: 1 << 30}},
		{"days never wrap", []labels.Retention{{Days: n(213504)}}, store.Policy{MaxAge: parse.MaxDays * parse.Day, MaxCount: 10, MinFreeBytes: 1 << 30}},
	} {
		if got := c.Policy(tc.layers...); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// #10.7, #13: a typo in a setting's name, or a Ruby-era setting that does not do
// what it did, is a warning naming the variable (and the nearest known one), never
// its value.
func TestWarnings(t *testing.T) {
	c, err := LoadEnviron([]string{
		"BT_ENCRYPTION_RECIPIENT=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "BT_CORN=@daily",
		"BT_RETENTION_DAY=7", "BT_KEY_ROTATION_ENABLED=false", "BT_ENCRYPTION_KEY=SECRET-key", "BT_ZZZZZZ_QQQQ=1", "BT_THREADS=2",
		"PATH=/bin", "DOCKER_HOST=unix:///x", "BT_ROLLOUT_IMAGE=docker:cli", "BT_TEST_DOCKERD_ROOT=/x",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range c.Warnings() {
		got = append(got, w.String())
	}
	want := []string{
		"BT_CORN: not a baktainer setting (ignored); did you mean BT_CRON?",
		"BT_ENCRYPTION_KEY: new archives are NOT encrypted: this key only opens the Ruby tool's archives (verify, restore, migrate); to encrypt new ones set BT_ENCRYPTION_RECIPIENTS (`baktainer keygen` makes a key pair), or BT_ENCRYPTION_ENABLED=false to say plain archives are meant",
		"BT_ENCRYPTION_RECIPIENT: not a baktainer setting (ignored); did you mean BT_ENCRYPTION_RECIPIENTS?",
		"BT_RETENTION_DAY: not a baktainer setting (ignored); did you mean BT_RETENTION_DAYS?",
		"BT_ZZZZZZ_QQQQ: not a baktainer setting (ignored)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Threads != 2 {
		t.Errorf("a known variable next to unknown ones: threads %d", c.Threads)
	}
	for _, r := range rubyVars {
		if !strings.HasPrefix(r.Name, "BT_") {
			t.Errorf("Ruby variable %s is not a BT_* name", r.Name)
		}
		for _, v := range vars {
			if v.Name == r.Name {
				t.Errorf("%s is both a setting and listed as a Ruby-only variable", r.Name)
			}
		}
	}
}

// #10.7: a blank key or secret is an error, never "no encryption" or "no token".
func TestBlankSecretsAreErrors(t *testing.T) {
	for _, name := range []string{"BT_ENCRYPTION_PASSPHRASE", "BT_ENCRYPTION_RECIPIENTS", "BT_ENCRYPTION_PASSPHRASE_FILE", "BT_API_TOKEN"} {
		_, err := Load(env(map[string]string{name: " \t"}))
		if got := strings.Join(problemVars(err), ","); got != name {
			t.Errorf("%s blank: problems with %q (%v)", name, got, err)
		}
	}
	if _, err := Load(env(map[string]string{"BT_ENCRYPTION_PASSPHRASE": "", "BT_API_TOKEN": ""})); err != nil {
		t.Errorf("empty (unset) secrets: %v", err)
	}
}

func TestProblemsWith(t *testing.T) {
	c, err := Load(env(map[string]string{"BT_CRON": "hourly", "BT_COMPRESSION": "lz4", "BT_BACKUP_DIR": "/srv"}))
	if err == nil {
		t.Fatal("no error")
	}
	if ProblemsWith(err, "BT_BACKUP_DIR") != nil || c.BackupDir != "/srv" {
		t.Errorf("BT_BACKUP_DIR: %v", ProblemsWith(err, "BT_BACKUP_DIR"))
	}
	if got := strings.Join(problemVars(ProblemsWith(err, "BT_COMPRESSION", "BT_BACKUP_DIR")), ","); got != "BT_COMPRESSION" {
		t.Errorf("ProblemsWith = %s", got)
	}
}

func TestEncryptionSettings(t *testing.T) {
	dir := t.TempDir()
	x, _ := age.GenerateX25519Identity()
	x2, _ := age.GenerateX25519Identity()
	sshPub, _, _ := ed25519.GenerateKey(rand.Reader)
	sshKey, _ := ssh.NewPublicKey(sshPub)
	sshLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshKey))) + " ops@example"
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	recipientsFile := write("recipients", "# ops team\n"+x.Recipient().String()+"\n\n"+sshLine+"\n")
	passFile := write("pass", "s3cret passphrase\n")
	twoLines := write("two", "s3cret\nmore\n")
	empty := write("empty", "")
	secretKey := x.String()
	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantMode  string
		wantCount int
		wantErr   string // the error, which must never contain a secret
	}{
		{"nothing set", nil, "", 0, ""},
		{"all empty", map[string]string{envRecipients: "", envPassphrase: ""}, "", 0, ""},
		{"one x25519", map[string]string{envRecipients: x.Recipient().String()}, store.ModeX25519, 1, ""},
		{"comma list", map[string]string{envRecipients: x.Recipient().String() + ", " + x2.Recipient().String()}, store.ModeX25519, 2, ""},
		{"ssh", map[string]string{envRecipients: sshLine}, store.ModeSSH, 1, ""},
		{"file, mixed", map[string]string{envRecipientsFile: recipientsFile}, store.ModeMixed, 2, ""},
		{"passphrase", map[string]string{envPassphrase: " s3cret passphrase "}, store.ModePassphrase, 1, ""},
		{"passphrase file", map[string]string{envPassphraseFile: passFile}, store.ModePassphrase, 1, ""},
		{"both recipient variables", map[string]string{envRecipients: x.Recipient().String(), envRecipientsFile: recipientsFile},
			"", 0, "BT_ENCRYPTION_RECIPIENTS: is set together with BT_ENCRYPTION_RECIPIENTS_FILE"},
		{"both passphrase variables", map[string]string{envPassphrase: "s3cret passphrase", envPassphraseFile: passFile},
			"", 0, "BT_ENCRYPTION_PASSPHRASE: is set together with BT_ENCRYPTION_PASSPHRASE_FILE"},
		{"two modes", map[string]string{envRecipients: x.Recipient().String(), envPassphrase: "s3cret passphrase"},
			"", 0, "BT_ENCRYPTION_PASSPHRASE: is set together with BT_ENCRYPTION_RECIPIENTS: archives are encrypted one way"},
		{"two modes, files", map[string]string{envRecipientsFile: recipientsFile, envPassphraseFile: passFile},
			"", 0, "BT_ENCRYPTION_PASSPHRASE_FILE: is set together with BT_ENCRYPTION_RECIPIENTS_FILE"},
		{"private key as recipient", map[string]string{envRecipients: secretKey}, "", 0, "BT_ENCRYPTION_RECIPIENTS: recipient 1 of 1: this is a private key"},
		{"garbage recipient", map[string]string{envRecipients: x.Recipient().String() + ",age1s3cretgarbage"}, "", 0, "BT_ENCRYPTION_RECIPIENTS: recipient 2 of 2: not a valid age X25519 public key"},
		{"missing recipients file", map[string]string{envRecipientsFile: filepath.Join(dir, "nope")}, "", 0, "BT_ENCRYPTION_RECIPIENTS_FILE: open"},
		{"empty recipients file", map[string]string{envRecipientsFile: empty}, "", 0, "BT_ENCRYPTION_RECIPIENTS_FILE: " + empty + " holds no recipients"},
		{"bad key in recipients file", map[string]string{envRecipientsFile: write("bad", "age1nope\n")}, "", 0, "BT_ENCRYPTION_RECIPIENTS_FILE: " + filepath.Join(dir, "bad") + ": recipient 1 of 1"},
		{"empty passphrase file", map[string]string{envPassphraseFile: empty}, "", 0, "BT_ENCRYPTION_PASSPHRASE_FILE: " + empty + " is empty"},
		{"two-line passphrase file", map[string]string{envPassphraseFile: twoLines}, "", 0, "BT_ENCRYPTION_PASSPHRASE_FILE: " + twoLines + " holds more than one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one starting %q", err, tc.wantErr)
				}
				for _, secret := range []string{"s3cret", secretKey, "AGE-SECRET-KEY"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q gives away a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Encryption.Mode != tc.wantMode || len(c.Encryption.Recipients) != tc.wantCount {
				t.Errorf("mode %q with %d recipients, want %q with %d", c.Encryption.Mode, len(c.Encryption.Recipients), tc.wantMode, tc.wantCount)
			}
		})
	}
}

// The passphrase variable is used as typed, spaces included.
func TestPassphraseKeepsSpaces(t *testing.T) {
	c, err := Load(env(map[string]string{envPassphrase: " padded "}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Create(t.TempDir(), store.Meta{Name: "db", Created: time.Now()}, "sql", store.Options{Compression: store.None, Encryption: c.Encryption})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("dump")); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := store.PassphraseIdentity(" padded ")
	r, err := store.Open(path, id)
	if err != nil {
		t.Fatalf("open with the padded passphrase: %v", err)
	}
	r.Close()
}
