package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// maxKeyFileSize bounds the key files read: real ones are well under a few KiB.
const maxKeyFileSize = 1 << 20

// ReadRecipientsFile reads a recipients file: one public key per line, "#" comments
// and blank lines ignored (the format of `age -R FILE`; commas also separate).
func ReadRecipientsFile(path string) ([]string, error) {
	data, err := ReadSmallFile(path, maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	list := SplitRecipients(string(data))
	if len(list) == 0 {
		return nil, fmt.Errorf("%s holds no recipients", path)
	}
	return list, nil
}

// ReadPassphraseFile reads a passphrase from a file, without its final line break.
// The file must hold one line.
func ReadPassphraseFile(path string) (string, error) {
	data, err := ReadSmallFile(path, maxKeyFileSize)
	if err != nil {
		return "", err
	}
	p := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	switch {
	case p == "":
		return "", fmt.Errorf("%s is empty", path)
	case strings.ContainsAny(p, "\r\n"):
		return "", fmt.Errorf("%s holds more than one line; a passphrase file holds just the passphrase", path)
	}
	return p, nil
}

// maxScryptWorkFactor caps the work a passphrase-encrypted archive may demand: age's
// own default writes 18; 20 leaves room without letting a planted file ask for
// minutes of work and gigabytes of memory.
const maxScryptWorkFactor = 20

// ReadIdentityFile reads the private keys that open archives: an age identity file
// (as written by `baktainer keygen` or age-keygen; X25519 and post-quantum keys) or
// an unencrypted SSH private key (ed25519 or RSA). Errors never quote the file.
func ReadIdentityFile(path string) ([]age.Identity, error) {
	data, err := ReadSmallFile(path, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		id, err := agessh.ParseIdentity(data)
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, fmt.Errorf("identity file %s: passphrase-protected SSH keys are not supported; use `age -d -i %s` instead", path, path)
			}
			return nil, fmt.Errorf("identity file %s: not a usable SSH private key (ed25519 or RSA)", path)
		}
		return []age.Identity{id}, nil
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		// age's parse errors name a line, never key material.
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return ids, nil
}

// PassphraseIdentity opens passphrase-encrypted archives.
func PassphraseIdentity(passphrase string) (age.Identity, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(maxScryptWorkFactor)
	return id, nil
}

// WriteIdentityFile generates a new X25519 identity, writes it to path in age's
// identity file format (readable by `age -d -i`), readable by its owner only, and
// returns its public recipient. It never overwrites an existing file.
func WriteIdentityFile(path string, now time.Time) (recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("generate identity: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("%s already exists: not overwriting a key", path)
		}
		return "", err
	}
	content := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339), id.Recipient(), id)
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return id.Recipient().String(), nil
}
