package config

import (
	"regexp"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// loadEncryption reads BT_ENCRYPTION_* through the store, which owns the key formats.
func (c *Config) loadEncryption(lookup Lookup) error {
	enc, err := store.EncryptionFromEnv(lookup)
	c.Encryption = enc
	return asConfigError(err)
}

// loadPolicy reads BT_RETENTION_* and BT_MIN_FREE_SPACE_GB through the store.
func (c *Config) loadPolicy(lookup Lookup) error {
	p, err := store.PolicyFromEnv(lookup)
	c.Retention = p
	return asConfigError(err)
}

// varName finds the variable a store error names first.
var varName = regexp.MustCompile(`BT_[A-Z0-9_]+`)

// asConfigError turns a store error, which names its variable in the message, into
// a *Error, so `config check` reports it like every other setting.
func asConfigError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	name := varName.FindString(msg)
	if name == "" {
		return &Error{Var: "BT_ENCRYPTION_*", Problem: msg}
	}
	return &Error{Var: name, Problem: strings.TrimPrefix(strings.TrimPrefix(msg, name), ": ")}
}
