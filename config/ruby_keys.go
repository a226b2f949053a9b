package config

import (
	"strings"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/parse"
)

const envEncryptionEnabled = "BT_ENCRYPTION_ENABLED"

// rubyEncryption reads the Ruby tool's keys, which open its archives, and
// BT_ENCRYPTION_ENABLED: asked for, encryption must be what baktainer writes (age);
// a Ruby key never silently stands for encryption it does not give.
func (c *Config) rubyEncryption(get func(string) (string, bool), raw Lookup) []error {
	keyVars, errs := c.loadLegacyKeys(get, raw)
	on, set, err := rubyBool(get, envEncryptionEnabled)
	switch {
	case err != nil:
		return append(errs, err)
	case !set:
	case on && c.Encryption.Enabled():
		c.note(envEncryptionEnabled, "archives are encrypted with age, to BT_ENCRYPTION_RECIPIENTS or BT_ENCRYPTION_PASSPHRASE")
	case on:
		return append(errs, &Error{Var: envEncryptionEnabled, Problem: "is true, but baktainer encrypts new archives with age, not with " +
			"BT_ENCRYPTION_KEY: set BT_ENCRYPTION_RECIPIENTS (age public keys; `baktainer keygen` makes a key pair) or " +
			"BT_ENCRYPTION_PASSPHRASE, or BT_ENCRYPTION_ENABLED=false for plain archives; BT_ENCRYPTION_KEY(_FILE) keeps opening the Ruby-era archives"})
	case c.Encryption.Enabled():
		c.warn(envEncryptionEnabled, "ignored: archives are encrypted, since BT_ENCRYPTION_RECIPIENTS or BT_ENCRYPTION_PASSPHRASE is set; unset it for plain archives")
	default:
		c.note(envEncryptionEnabled, "archives are not encrypted")
	}
	for _, name := range keyVars {
		if !set && !c.Encryption.Enabled() {
			c.warn(name, "new archives are NOT encrypted: this key only opens the Ruby tool's archives (verify, restore, migrate); "+
				"to encrypt new ones set BT_ENCRYPTION_RECIPIENTS (`baktainer keygen` makes a key pair), or BT_ENCRYPTION_ENABLED=false to say plain archives are meant")
		} else {
			c.note(name, "opens the Ruby tool's encrypted archives (verify, restore, migrate); new archives are encrypted with age only")
		}
	}
	return errs
}

// loadLegacyKeys reads the keys the Ruby tool encrypted with, as it read them:
// BT_ENCRYPTION_KEY and BT_ENCRYPTION_PASSPHRASE untrimmed, BT_ENCRYPTION_KEY_FILE's
// content byte for byte. Every one set is kept (archives written before a key
// changed still open). It returns the variables that gave a key.
func (c *Config) loadLegacyKeys(get func(string) (string, bool), raw Lookup) (keyVars []string, errs []error) {
	if v, _ := raw(legacy.EnvKey); v != "" {
		get(legacy.EnvKey)
		if err := c.addLegacyKeys(legacy.EnvKey, quoteVariants(v), func(s string) (legacy.Key, error) { return legacy.ParseKey(legacy.EnvKey, s) }); err != nil {
			errs = append(errs, err)
		} else {
			keyVars = append(keyVars, legacy.EnvKey)
		}
	}
	if path, set := get(legacy.EnvKeyFile); set {
		source := legacy.EnvKeyFile + " (" + path + ")"
		data, err := readSmallFile(path)
		if err == nil {
			err = c.addLegacyKeys(legacy.EnvKeyFile, []string{string(data)}, func(s string) (legacy.Key, error) { return legacy.ParseKey(source, s) })
		}
		if err != nil {
			errs = append(errs, asError(legacy.EnvKeyFile, err))
		} else {
			keyVars = append(keyVars, legacy.EnvKeyFile)
		}
	}
	if v, _ := raw(legacy.EnvPassphrase); v != "" {
		// Errors are the age passphrase's, reported by loadEncryption.
		_ = c.addLegacyKeys(legacy.EnvPassphrase, quoteVariants(v), func(s string) (legacy.Key, error) { return legacy.PassphraseKey(legacy.EnvPassphrase, s) })
	}
	return keyVars, errs
}

// quoteVariants is a value as the Ruby tool used it and, when it is in one pair of
// quotes (docker-compose's list syntax keeps them, and the Ruby tool used them as
// part of the key), without them too.
func quoteVariants(v string) []string {
	if u, ok := parse.Unquote(v); ok && u != "" {
		return []string{v, u}
	}
	return []string{v}
}

// addLegacyKeys keeps the key of each candidate value that makes one; the error,
// when none does, is the first candidate's, without the key.
func (c *Config) addLegacyKeys(name string, candidates []string, parseKey func(string) (legacy.Key, error)) error {
	var first error
	added := false
	for _, s := range candidates {
		k, err := parseKey(s)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		c.LegacyKeys, added = append(c.LegacyKeys, k), true
	}
	if added {
		return nil
	}
	return asError(name, first)
}

// asError names the variable of an error that may start with it already.
func asError(name string, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, name) {
		msg = msg[i+2:]
	}
	return &Error{Var: name, Problem: msg}
}
