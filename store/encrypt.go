package store

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"

	"filippo.io/age"
)

// Encryption says who can open an archive. The zero value means "not encrypted".
// Archives are age files: `age -d -i KEY` opens them.
type Encryption struct {
	// Recipients are the public keys (X25519 or SSH) or the scrypt passphrase
	// recipient archives are encrypted to.
	Recipients []age.Recipient
	// Mode names the kind of recipients for the metadata: "x25519", "ssh",
	// "passphrase" or "mixed".
	Mode string
	// Fingerprints identify the recipients in the metadata without giving any key away.
	Fingerprints []string
}

// Enabled reports whether archives are encrypted.
func (e Encryption) Enabled() bool { return len(e.Recipients) > 0 }

// Extension returns the extension encryption adds.
func (e Encryption) Extension() string {
	if e.Enabled() {
		return ".age"
	}
	return ""
}

func (e Encryption) encryptor(w io.Writer) (io.WriteCloser, error) {
	if !e.Enabled() {
		return nopWriteCloser{w}, nil
	}
	if len(e.Fingerprints) != len(e.Recipients) {
		return nil, errors.New("store: every encryption recipient needs a fingerprint")
	}
	return age.Encrypt(w, e.Recipients...)
}

// Fingerprint identifies a recipient string (a public key) in metadata: the first
// 16 bytes of its SHA-256, as age and ssh show key fingerprints.
func Fingerprint(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:16])
}
