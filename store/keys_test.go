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
