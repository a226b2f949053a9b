package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

func TestEncryptionFromEnv(t *testing.T) {
	dir := t.TempDir()
	x := mustIdentity(t)
	x2 := mustIdentity(t)
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
		wantErr   string // substring; the error must never contain a secret
	}{
		{"nothing set", nil, "", 0, ""},
		{"all empty", map[string]string{EnvRecipients: " ", EnvPassphrase: ""}, "", 0, ""},
		{"one x25519", map[string]string{EnvRecipients: x.Recipient().String()}, ModeX25519, 1, ""},
		{"comma list", map[string]string{EnvRecipients: x.Recipient().String() + ", " + x2.Recipient().String()}, ModeX25519, 2, ""},
		{"ssh", map[string]string{EnvRecipients: sshLine}, ModeSSH, 1, ""},
		{"file, mixed", map[string]string{EnvRecipientsFile: recipientsFile}, ModeMixed, 2, ""},
		{"passphrase", map[string]string{EnvPassphrase: "s3cret passphrase"}, ModePassphrase, 1, ""},
		{"passphrase file", map[string]string{EnvPassphraseFile: passFile}, ModePassphrase, 1, ""},
		{"both recipient variables", map[string]string{EnvRecipients: x.Recipient().String(), EnvRecipientsFile: recipientsFile},
			"", 0, "BT_ENCRYPTION_RECIPIENTS and BT_ENCRYPTION_RECIPIENTS_FILE are both set"},
		{"both passphrase variables", map[string]string{EnvPassphrase: "s3cret passphrase", EnvPassphraseFile: passFile},
			"", 0, "BT_ENCRYPTION_PASSPHRASE and BT_ENCRYPTION_PASSPHRASE_FILE are both set"},
		{"two modes", map[string]string{EnvRecipients: x.Recipient().String(), EnvPassphrase: "s3cret passphrase"},
			"", 0, "both recipients (BT_ENCRYPTION_RECIPIENTS) and a passphrase (BT_ENCRYPTION_PASSPHRASE)"},
		{"two modes, files", map[string]string{EnvRecipientsFile: recipientsFile, EnvPassphraseFile: passFile},
			"", 0, "both recipients (BT_ENCRYPTION_RECIPIENTS_FILE) and a passphrase (BT_ENCRYPTION_PASSPHRASE_FILE)"},
		{"private key as recipient", map[string]string{EnvRecipients: secretKey}, "", 0, "BT_ENCRYPTION_RECIPIENTS: recipient 1 of 1: this is a private key"},
		{"garbage recipient", map[string]string{EnvRecipients: x.Recipient().String() + ",age1s3cretgarbage"}, "", 0, "BT_ENCRYPTION_RECIPIENTS: recipient 2 of 2: not a valid age X25519 public key"},
		{"unknown recipient type", map[string]string{EnvRecipients: "s3cret-thing"}, "", 0, "BT_ENCRYPTION_RECIPIENTS: recipient 1 of 1: not an age X25519"},
		{"missing recipients file", map[string]string{EnvRecipientsFile: filepath.Join(dir, "nope")}, "", 0, "BT_ENCRYPTION_RECIPIENTS_FILE: open"},
		{"empty recipients file", map[string]string{EnvRecipientsFile: empty}, "", 0, "BT_ENCRYPTION_RECIPIENTS_FILE: " + empty + " holds no recipients"},
		{"empty passphrase file", map[string]string{EnvPassphraseFile: empty}, "", 0, "BT_ENCRYPTION_PASSPHRASE_FILE: " + empty + " is empty"},
		{"two-line passphrase file", map[string]string{EnvPassphraseFile: twoLines}, "", 0, "BT_ENCRYPTION_PASSPHRASE_FILE: " + twoLines + " holds more than one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := EncryptionFromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
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
			if enc.Mode != tc.wantMode || len(enc.Recipients) != tc.wantCount {
				t.Errorf("mode %q with %d recipients, want %q with %d", enc.Mode, len(enc.Recipients), tc.wantMode, tc.wantCount)
			}
		})
	}
}

func TestPassphraseFromVariableKeepsSpaces(t *testing.T) {
	enc, err := EncryptionFromEnv(func(k string) (string, bool) {
		if k == EnvPassphrase {
			return " padded ", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	path, _ := writeArchive(t, root, "db", time.Time{}, []byte("dump"), Options{Encryption: enc})
	padded, _ := PassphraseIdentity(" padded ")
	if got := readBack(t, path, padded); string(got) != "dump" {
		t.Errorf("read back %q", got)
	}
}

func TestReadIdentityFile(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	recipient, err := WriteIdentityFile(keyFile, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("identity file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := WriteIdentityFile(keyFile, time.Now()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second keygen to the same file: %v", err)
	}
	ids, err := ReadIdentityFile(keyFile)
	if err != nil || len(ids) != 1 || ids[0].(*age.X25519Identity).Recipient().String() != recipient {
		t.Fatalf("ReadIdentityFile = %v, %v; want the identity of %s", ids, err, recipient)
	}

	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(edPriv, "ops")
	if err != nil {
		t.Fatal(err)
	}
	edFile := filepath.Join(dir, "id_ed25519")
	_ = os.WriteFile(edFile, pem.EncodeToMemory(block), 0o600)
	if ids, err := ReadIdentityFile(edFile); err != nil || len(ids) != 1 {
		t.Errorf("ssh ed25519 key: %v, %v", ids, err)
	}

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	block, _ = ssh.MarshalPrivateKeyWithPassphrase(rsaKey, "ops", []byte("pw"))
	lockedFile := filepath.Join(dir, "id_rsa")
	_ = os.WriteFile(lockedFile, pem.EncodeToMemory(block), 0o600)
	if _, err := ReadIdentityFile(lockedFile); err == nil || !strings.Contains(err.Error(), "passphrase-protected SSH keys are not supported") {
		t.Errorf("passphrase-protected ssh key: %v", err)
	}

	bad := filepath.Join(dir, "bad")
	_ = os.WriteFile(bad, []byte("AGE-SECRET-KEY-1NOTREALLYAKEY\n"), 0o600)
	if _, err := ReadIdentityFile(bad); err == nil || strings.Contains(err.Error(), "NOTREALLY") {
		t.Errorf("bad identity file: %v", err)
	}
}

func mustIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
