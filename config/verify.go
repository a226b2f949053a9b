package config

import (
	"fmt"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// Verify configures the agent's scheduled test-restores (docs/RESTORE.md).
type Verify struct {
	// Schedule is BT_VERIFY_CRON: when every target's newest archive is
	// test-restored; "" is off (baktainer.verify.schedule still turns it on
	// for one container).
	Schedule string
	Threads  int           // BT_VERIFY_THREADS: test-restores at once
	Timeout  time.Duration // BT_VERIFY_TIMEOUT: one whole test-restore
	// IdentityFile (BT_VERIFY_IDENTITY_FILE) holds the private keys that open
	// encrypted archives; Identities are its keys, and with passphrase
	// encryption the passphrase's.
	IdentityFile string
	Identities   []age.Identity
}

// The limits of the test-restore settings.
const (
	maxVerifyThreads = 16
	maxVerifyTimeout = 24 * time.Hour
	envVerifyCron    = "BT_VERIFY_CRON"
	envVerifyKeys    = "BT_VERIFY_IDENTITY_FILE"
)

var verifyVars = []Var{
	{Name: envVerifyCron, Help: "test-restore every target's newest archive into a scratch container on this schedule (cron or descriptor, e.g. @weekly); empty or off: only containers labelled baktainer.verify.schedule",
		parse: func(c *Config, s string) error {
			if s == "" || strings.EqualFold(s, labels.VerifyOff) {
				c.Verify.Schedule = ""
				return nil
			}
			c.Verify.Schedule = s
			if _, err := labels.ParseSchedule(s); err != nil {
				return fmt.Errorf("%q is not off, a 5-field cron expression or a descriptor: %v", s, err)
			}
			return nil
		},
		show: func(c Config) string { return c.Verify.Schedule }},
	count("BT_VERIFY_THREADS", "1", "how many test-restores run at once (each starts a database server)", 1, maxVerifyThreads,
		func(c *Config) *int { return &c.Verify.Threads }),
	duration("BT_VERIFY_TIMEOUT", "30m", "longest one test-restore may take, its scratch server's start included", 10*time.Second, maxVerifyTimeout,
		func(c *Config) *time.Duration { return &c.Verify.Timeout }),
	{Name: envVerifyKeys, Help: "an age identity file or SSH private key the agent's test-restores open encrypted archives with (passphrase encryption needs none); the agent can then read every archive: see docs/SECURITY.md",
		parse: func(c *Config, s string) error {
			c.Verify.IdentityFile = s
			if s == "" {
				return nil
			}
			return absolute(s)
		},
		show: func(c Config) string { return c.Verify.IdentityFile }},
}

// loadVerify reads the test-restores' keys: BT_VERIFY_IDENTITY_FILE's, and the
// passphrase's when archives are encrypted to one. Errors never show a key.
func (c *Config) loadVerify(lookup Lookup) []error {
	var errs []error
	if f := c.Verify.IdentityFile; f != "" && absolute(f) == nil { // a relative path was refused already
		ids, err := store.ReadIdentityFile(f)
		if err != nil {
			errs = append(errs, &Error{Var: envVerifyKeys, Problem: err.Error()})
		}
		c.Verify.Identities = append(c.Verify.Identities, ids...)
	}
	if c.Encryption.Mode == store.ModePassphrase {
		if id, err := passphraseIdentity(lookup); err == nil {
			c.Verify.Identities = append(c.Verify.Identities, id)
		}
	}
	return errs
}

// passphraseIdentity opens what BT_ENCRYPTION_PASSPHRASE[_FILE] encrypted.
func passphraseIdentity(lookup Lookup) (age.Identity, error) {
	p, _ := lookup(envPassphrase)
	if strings.TrimSpace(p) == "" {
		file, _ := lookup(envPassphraseFile)
		var err error
		if p, err = store.ReadPassphraseFile(strings.TrimSpace(file)); err != nil {
			return nil, err
		}
	}
	return store.PassphraseIdentity(p)
}
