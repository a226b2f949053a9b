package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/store"
)

// runKeygen writes a new age identity file and prints its public key (the
// recipient to give BT_ENCRYPTION_RECIPIENTS). The private key never reaches
// standard output, so it cannot end up in a log.
func runKeygen(_ context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("keygen", flag.ContinueOnError)
	output := flags.String("output", "", "the identity file to write (required; never overwritten)")
	flags.StringVar(output, "o", "", "short for --output")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 && *output == "" {
		*output = pos[0]
	}
	if *output == "" {
		return fmt.Errorf("%w: keygen --output FILE", errUsage)
	}
	recipient, err := store.WriteIdentityFile(*output, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "baktainer keygen: wrote the private key to %s (keep it safe and off the backup host); public key:\n", *output)
	_, err = fmt.Fprintln(env.stdout, recipient)
	return err
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// encryptionFlags are the ways to choose who can open new archives.
type encryptionFlags struct {
	recipients     stringList
	recipientsFile string
	passphraseFile string
}

func (e *encryptionFlags) register(fs *flag.FlagSet) {
	fs.Var(&e.recipients, "recipient", "encrypt to this public key: age1... or an SSH public key (repeatable)")
	fs.StringVar(&e.recipientsFile, "recipients-file", "", "encrypt to the public keys in this file, one per line")
	fs.StringVar(&e.passphraseFile, "passphrase-file", "", "encrypt with the passphrase in this file")
}

// encryption returns what the flags ask for or, when none is given, what the
// BT_ENCRYPTION_* variables say.
func (e *encryptionFlags) encryption(env *runEnv) (store.Encryption, error) {
	keyFlags := 0
	for _, set := range []bool{len(e.recipients) > 0, e.recipientsFile != "", e.passphraseFile != ""} {
		if set {
			keyFlags++
		}
	}
	switch {
	case keyFlags == 0:
		cfg, err := env.settings(config.EncryptionVars...)
		return cfg.Encryption, err
	case e.passphraseFile != "" && keyFlags > 1:
		return store.Encryption{}, fmt.Errorf("%w: --passphrase-file cannot be combined with recipients: choose one way to encrypt", errUsage)
	case e.passphraseFile != "":
		p, err := store.ReadPassphraseFile(e.passphraseFile)
		if err != nil {
			return store.Encryption{}, fmt.Errorf("--passphrase-file: %w", err)
		}
		return store.PassphraseEncryption("--passphrase-file", p)
	}
	list := append([]string{}, e.recipients...)
	if e.recipientsFile != "" {
		more, err := store.ReadRecipientsFile(e.recipientsFile)
		if err != nil {
			return store.Encryption{}, fmt.Errorf("--recipients-file: %w", err)
		}
		list = append(list, more...)
	}
	return store.RecipientEncryption("--recipient", list)
}

// identityFlags are the ways to open encrypted archives.
type identityFlags struct {
	identities     stringList
	passphraseFile string
}

func (i *identityFlags) register(fs *flag.FlagSet) {
	fs.Var(&i.identities, "identity", "open encrypted archives with the private keys in this file: an age identity file or an SSH private key (repeatable)")
	fs.StringVar(&i.passphraseFile, "passphrase-file", "", "open encrypted archives with the passphrase in this file")
}

func (i *identityFlags) load() ([]age.Identity, error) {
	var ids []age.Identity
	for _, path := range i.identities {
		more, err := store.ReadIdentityFile(path)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	if i.passphraseFile != "" {
		p, err := store.ReadPassphraseFile(i.passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		id, err := store.PassphraseIdentity(p)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
