package config

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"

	"github.com/baktainer/baktainer/store"
)

// loadEncryption reads BT_ENCRYPTION_*.
//
// TODO(issue 4): the store is gaining store.EncryptionFromEnv(lookup); when it lands
// this body becomes `c.Encryption, err = store.EncryptionFromEnv(lookup)`.
func (c *Config) loadEncryption(lookup Lookup) error {
	enc, err := encryptionFromEnv(lookup)
	c.Encryption = enc
	return err
}

// encryptionFromEnv builds the archives' encryption: public-key recipients (age
// X25519 or SSH) or one passphrase, never both. The agent needs no private key.
func encryptionFromEnv(lookup Lookup) (store.Encryption, error) {
	get := func(name string) string { v, _ := lookup(name); return strings.TrimSpace(v) }
	var lines []string
	for _, part := range strings.FieldsFunc(get("BT_ENCRYPTION_RECIPIENTS"), func(r rune) bool { return r == ',' || r == '\n' }) {
		lines = append(lines, part)
	}
	if path := get("BT_ENCRYPTION_RECIPIENTS_FILE"); path != "" {
		fileLines, err := readLines(path)
		if err != nil {
			return store.Encryption{}, &Error{Var: "BT_ENCRYPTION_RECIPIENTS_FILE", Problem: err.Error()}
		}
		lines = append(lines, fileLines...)
	}
	pass := get("BT_ENCRYPTION_PASSPHRASE")
	passVar := "BT_ENCRYPTION_PASSPHRASE"
	if path := get("BT_ENCRYPTION_PASSPHRASE_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return store.Encryption{}, &Error{Var: "BT_ENCRYPTION_PASSPHRASE_FILE", Problem: fmt.Sprintf("read %s: %v", path, err)}
		}
		pass, passVar = strings.TrimRight(string(b), "\r\n"), "BT_ENCRYPTION_PASSPHRASE_FILE"
	}
	switch {
	case pass != "" && len(lines) > 0:
		return store.Encryption{}, &Error{Var: passVar, Problem: "cannot be combined with BT_ENCRYPTION_RECIPIENTS; choose public keys or a passphrase"}
	case pass != "":
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return store.Encryption{}, &Error{Var: passVar, Problem: "unusable passphrase"}
		}
		return store.Encryption{Recipients: []age.Recipient{r}, Mode: "passphrase", Fingerprints: []string{"scrypt"}}, nil
	}
	var enc store.Encryption
	modes := map[string]bool{}
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, mode, err := parseRecipient(line)
		if err != nil {
			return store.Encryption{}, &Error{Var: "BT_ENCRYPTION_RECIPIENTS", Problem: fmt.Sprintf("recipient %q: %v", line, err)}
		}
		modes[mode] = true
		enc.Recipients = append(enc.Recipients, r)
		enc.Fingerprints = append(enc.Fingerprints, store.Fingerprint(line))
		enc.Mode = mode
	}
	if len(modes) > 1 {
		enc.Mode = "mixed"
	}
	return enc, nil
}

func parseRecipient(s string) (age.Recipient, string, error) {
	if strings.HasPrefix(s, "ssh-") {
		r, err := agessh.ParseRecipient(s)
		return r, "ssh", err
	}
	rs, err := age.ParseRecipients(strings.NewReader(s))
	if err != nil {
		return nil, "", err
	}
	if len(rs) != 1 {
		return nil, "", fmt.Errorf("expected one recipient")
	}
	return rs[0], "x25519", nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
