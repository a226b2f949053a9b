package plugin

import (
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/baktainer/baktainer/store"
)

func TestParseOptions(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipient := id.Recipient().String()
	const sshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHn5mJmYqkQtY0n6ZzQ2RkzPZJ3i4o1x0a9rC6cY0bYx me@host"
	tests := []struct {
		name    string
		raw     map[string]string
		check   func(t *testing.T, o Options)
		wantErr []string // substrings of the error; nil: no error
	}{
		{name: "none", raw: nil, check: func(t *testing.T, o Options) {
			if o.Retention.Days != nil || len(o.Recipients) != 0 || o.RemoveArchives || o.Encryption != nil {
				t.Errorf("options = %+v, want zero", o)
			}
		}},
		{name: "all", raw: map[string]string{
			"retention.days": "14", "retention.count": " 3 ", "retention.daily": "7", "retention.weekly": "4",
			"retention.monthly": "0", "recipients": recipient + ", " + sshKey, "remove-archives": "TRUE",
		}, check: func(t *testing.T, o Options) {
			r := o.Retention
			if *r.Days != 14 || *r.Count != 3 || *r.Daily != 7 || *r.Weekly != 4 || *r.Monthly != 0 {
				t.Errorf("retention = %+v", r)
			}
			if len(o.Recipients) != 2 || o.Recipients[0] != recipient || o.Recipients[1] != sshKey {
				t.Errorf("recipients = %q", o.Recipients)
			}
			if !o.RemoveArchives {
				t.Error("remove-archives not set")
			}
			if e := o.Encryption; e == nil || len(e.Recipients) != 2 || e.Mode != "mixed" ||
				e.Fingerprints[0] != store.Fingerprint(recipient) || !strings.HasPrefix(e.Fingerprints[1], "SHA256:") {
				t.Errorf("encryption = %+v", o.Encryption)
			}
		}},
		{name: "bad count", raw: map[string]string{"retention.days": "-1", "retention.count": "many"},
			wantErr: []string{`option retention.days ="-1"`, `option retention.count ="many"`}},
		{name: "private key never echoed", raw: map[string]string{"recipients": recipient + "," + id.String()},
			wantErr: []string{"option recipients: recipient 2 of 2: this is a private key"}},
		{name: "not a key", raw: map[string]string{"recipients": "age1nope"},
			wantErr: []string{"recipient 1 of 1: not a valid age X25519 public key"}},
		{name: "empty recipient", raw: map[string]string{"recipients": recipient + ","},
			wantErr: []string{"recipient 2 of 2: empty"}},
		{name: "bad bool", raw: map[string]string{"remove-archives": "maybe"},
			wantErr: []string{`option remove-archives ="maybe": must be true or false`}},
		{name: "unknown option", raw: map[string]string{"retention": "7", "type": "tmpfs"},
			wantErr: []string{"option retention is not a baktainer volume option", "option type is not"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOptions(tt.raw)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ParseOptions: %v", err)
				}
				tt.check(t, o)
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Errorf("error repeats a private key: %v", err)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"backups": true, "pg_data.2-x": true, "a": true, "A1": true,
		"": false, ".hidden": false, "-x": false, "a/b": false, "..": false, "a b": false,
		strings.Repeat("x", MaxNameLength): true, strings.Repeat("x", MaxNameLength+1): false, strings.Repeat("x", 250): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// A volume's recipients encrypt what the store writes there to keys that open it.
func TestOptionsEncryptionOpensWithTheKey(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOptions(map[string]string{"recipients": id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	p, err := store.Create(root, store.Meta{Name: "shop", Engine: "postgres"}, "sql",
		store.Options{Compression: store.Compression("none"), Encryption: *o.Encryption})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("-- dump\n")); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil || !strings.HasSuffix(path, ".sql.age") {
		t.Fatalf("Commit = %s, %v", path, err)
	}
	r, err := store.Open(path, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "-- dump\n" {
		t.Fatalf("decrypted %q, %v", b, err)
	}
}
