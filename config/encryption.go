package config

import (
	"fmt"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// The encryption variables: each pair is "the value" or "a file holding it" (for
// Docker secrets); set at most one of a pair, and one of the two modes.
const (
	envRecipients     = "BT_ENCRYPTION_RECIPIENTS"
	envRecipientsFile = "BT_ENCRYPTION_RECIPIENTS_FILE"
	envPassphrase     = "BT_ENCRYPTION_PASSPHRASE"
	envPassphraseFile = "BT_ENCRYPTION_PASSPHRASE_FILE"
)

// loadEncryption reads BT_ENCRYPTION_*: recipients or a passphrase, never both;
// none set (or all empty) means no encryption. The store parses the keys. Errors
// name the variable, never its value. (A blank value was refused by Load.)
func (c *Config) loadEncryption(lookup Lookup) []error {
	get := func(name string) string { v, _ := lookup(name); return strings.TrimSpace(v) }
	recipients, recipientsFile := get(envRecipients), get(envRecipientsFile)
	passphrase, passphraseFile := get(envPassphrase), get(envPassphraseFile)
	fail := func(name, format string, args ...any) []error {
		return []error{&Error{Var: name, Problem: fmt.Sprintf(format, args...)}}
	}
	var enc store.Encryption
	var err error
	switch {
	case recipients != "" && recipientsFile != "":
		return fail(envRecipients, "is set together with %s: set only one", envRecipientsFile)
	case passphrase != "" && passphraseFile != "":
		return fail(envPassphrase, "is set together with %s: set only one", envPassphraseFile)
	case (recipients != "" || recipientsFile != "") && (passphrase != "" || passphraseFile != ""):
		return fail(firstSet(passphrase, envPassphrase, envPassphraseFile),
			"is set together with %s: archives are encrypted one way, choose one (recipients are recommended: the agent then holds no secret)",
			firstSet(recipients, envRecipients, envRecipientsFile))
	case recipients != "":
		enc, err = store.RecipientEncryption(envRecipients, store.SplitRecipients(recipients))
		return c.setEncryption(envRecipients, enc, err)
	case recipientsFile != "":
		list, err := store.ReadRecipientsFile(recipientsFile)
		if err == nil {
			enc, err = store.RecipientEncryption(recipientsFile, list)
		}
		return c.setEncryption(envRecipientsFile, enc, err)
	case passphrase != "":
		raw, _ := lookup(envPassphrase) // not trimmed: spaces are part of a passphrase
		enc, err = store.PassphraseEncryption(envPassphrase, raw)
		return c.setEncryption(envPassphrase, enc, err)
	case passphraseFile != "":
		p, err := store.ReadPassphraseFile(passphraseFile)
		if err == nil {
			enc, err = store.PassphraseEncryption(passphraseFile, p)
		}
		return c.setEncryption(envPassphraseFile, enc, err)
	}
	return nil
}

// setEncryption keeps enc, or turns the store's error into one naming name. The
// store's errors start with the source given to it (name itself, or a file's
// path), never with a key.
func (c *Config) setEncryption(name string, enc store.Encryption, err error) []error {
	if err != nil {
		return []error{&Error{Var: name, Problem: strings.TrimPrefix(err.Error(), name+": ")}}
	}
	c.Encryption = enc
	return nil
}

func firstSet(value, name, fileName string) string {
	if value != "" {
		return name
	}
	return fileName
}

// EncryptionVars are the variables the archives' encryption is read from.
var EncryptionVars = []string{envRecipients, envRecipientsFile, envPassphrase, envPassphraseFile}
