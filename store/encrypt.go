package store

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// Encryption says who can open an archive. The zero value means "not encrypted".
// Archives are age files: `age -d -i KEY` opens them. Build one with
// RecipientEncryption or PassphraseEncryption (config reads BT_ENCRYPTION_*).
type Encryption struct {
	// Recipients are the public keys (X25519 or SSH), or the one scrypt passphrase
	// recipient, archives are encrypted to.
	Recipients []age.Recipient
	// Mode names the kind of recipients for the metadata: "x25519", "ssh",
	// "mixed" (both) or "passphrase".
	Mode string
	// Fingerprints identify public-key recipients in the metadata without giving
	// any key away; a passphrase has none (a hash of it would help guess it).
	Fingerprints []string
}

// The encryption modes recorded in metadata.
const (
	ModeNone       = "none"
	ModeX25519     = "x25519"
	ModeSSH        = "ssh"
	ModeMixed      = "mixed"
	ModePassphrase = "passphrase"
)

// Enabled reports whether archives are encrypted.
func (e Encryption) Enabled() bool { return len(e.Recipients) > 0 }

// Extension returns the extension encryption adds.
func (e Encryption) Extension() string {
	if e.Enabled() {
		return ageExt
	}
	return ""
}

func (e Encryption) encryptor(w io.Writer) (io.WriteCloser, error) {
	if !e.Enabled() {
		return nopWriteCloser{w}, nil
	}
	if e.Mode != ModePassphrase && len(e.Fingerprints) != len(e.Recipients) {
		return nil, errors.New("store: every encryption recipient needs a fingerprint")
	}
	return age.Encrypt(w, e.Recipients...)
}

// RecipientEncryption parses public keys: age X25519 recipients ("age1...") and SSH
// public keys ("ssh-ed25519 AAAA...", "ssh-rsa AAAA..."), as accepted by `age -r`.
// source names where they came from (a variable or a flag); errors name it and the
// entry's position but never repeat the entry, which might be a misplaced private key.
func RecipientEncryption(source string, recipients []string) (Encryption, error) {
	if len(recipients) == 0 {
		return Encryption{}, fmt.Errorf("%s: no recipients given", source)
	}
	var enc Encryption
	kinds := map[string]bool{}
	for i, text := range recipients {
		r, kind, fingerprint, err := parseRecipient(strings.TrimSpace(text))
		if err != nil {
			return Encryption{}, fmt.Errorf("%s: recipient %d of %d: %w", source, i+1, len(recipients), err)
		}
		enc.Recipients = append(enc.Recipients, r)
		enc.Fingerprints = append(enc.Fingerprints, fingerprint)
		kinds[kind] = true
	}
	switch {
	case len(kinds) > 1:
		enc.Mode = ModeMixed
	case kinds[ModeSSH]:
		enc.Mode = ModeSSH
	default:
		enc.Mode = ModeX25519
	}
	return enc, nil
}

func parseRecipient(s string) (r age.Recipient, kind, fingerprint string, err error) {
	switch {
	case strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY-"), strings.Contains(s, "PRIVATE KEY"):
		return nil, "", "", errors.New("this is a private key; give the public key (recipient) instead, and keep the private key off this machine")
	case strings.HasPrefix(s, "age1pq1"):
		return nil, "", "", errors.New("post-quantum age recipients are not supported yet: the age CLI in Debian stable cannot open them; use an X25519 recipient (age1...)")
	case strings.HasPrefix(s, "age1"):
		x, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, "", "", errors.New("not a valid age X25519 public key (age1...)")
		}
		return x, ModeX25519, Fingerprint(x.String()), nil
	case strings.HasPrefix(s, "ssh-ed25519 ") || strings.HasPrefix(s, "ssh-rsa "):
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
		if err != nil {
			return nil, "", "", errors.New("not a valid SSH public key")
		}
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, "", "", errors.New("this SSH public key cannot be an age recipient (RSA keys need 2048 bits or more)")
		}
		return r, ModeSSH, ssh.FingerprintSHA256(pub), nil
	case s == "":
		return nil, "", "", errors.New("empty")
	}
	return nil, "", "", errors.New("not an age X25519 (age1...) or SSH (ssh-ed25519, ssh-rsa) public key")
}

// scryptWorkFactor is age's own default: about a second of work and 256 MiB of
// memory, once per archive, to make a stolen archive's passphrase slow to guess.
// A variable only so unit tests can make it cheap.
var scryptWorkFactor = 18

// PassphraseEncryption encrypts archives with a passphrase (age's scrypt recipient,
// as `age -p` does). source names where the passphrase came from, for errors.
func PassphraseEncryption(source, passphrase string) (Encryption, error) {
	if passphrase == "" {
		return Encryption{}, fmt.Errorf("%s: the passphrase is empty", source)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return Encryption{}, fmt.Errorf("%s: %w", source, err)
	}
	r.SetWorkFactor(scryptWorkFactor)
	return Encryption{Recipients: []age.Recipient{r}, Mode: ModePassphrase}, nil
}

// Fingerprint identifies an age recipient string (a public key) in metadata: the
// first 16 bytes of its SHA-256, written the way ssh shows key fingerprints. SSH
// recipients get ssh's own fingerprint, as `ssh-keygen -lf KEY.pub` prints it.
func Fingerprint(recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:16])
}

// SplitRecipients splits a list of recipients as BT_ENCRYPTION_RECIPIENTS holds
// them: separated by newlines or commas, with blank lines and "#" comment lines
// ignored (the format of `age -R` files, plus commas for one-line variables).
func SplitRecipients(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
