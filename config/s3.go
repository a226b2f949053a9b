package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/parse"
)

// The off-host copies' variables besides offsite's own names: the credentials'
// _FILE variants (Docker secrets) and the remote retention.
const (
	envS3AccessKeyFile = offsite.EnvAccessKey + "_FILE"
	envS3SecretKeyFile = offsite.EnvSecretKey + "_FILE"
	envS3RetentionPre  = "BT_S3_RETENTION_"
)

// S3Vars are the variables the off-host copies are read from.
var S3Vars = []string{
	offsite.EnvEndpoint, offsite.EnvBucket, offsite.EnvPrefix, offsite.EnvRegion,
	offsite.EnvAccessKey, envS3AccessKeyFile, offsite.EnvSecretKey, envS3SecretKeyFile,
	offsite.EnvInsecure, offsite.EnvCAFile, offsite.EnvStorageClass,
}

// S3RetentionVars are the variables the remote copies' own retention is read from.
var S3RetentionVars = []string{
	envS3RetentionPre + "DAYS", envS3RetentionPre + "COUNT", envS3RetentionPre + "DAILY",
	envS3RetentionPre + "WEEKLY", envS3RetentionPre + "MONTHLY",
}

// s3Vars are the table's rows for the off-host copies. The credentials are read
// by loadS3 (each from its variable or its _FILE variant); the rest by their rows.
func s3Vars() []Var {
	text := func(name, help string, field func(*offsite.Settings) *string) Var {
		return Var{Name: name, Help: help,
			parse: func(c *Config, s string) error { *field(&c.S3) = s; return nil },
			show:  func(c Config) string { return *field(&c.S3) }}
	}
	secret := func(name, help string, field func(*offsite.Settings) *string) Var {
		return Var{Name: name, Secret: true, Help: help, parse: nop,
			show: func(c Config) string { return maskSecret(*field(&c.S3)) }}
	}
	rows := []Var{
		text(offsite.EnvEndpoint, "off-host copies: the S3-compatible server's host[:port], no scheme (TLS is the default); setting any BT_S3_* variable turns the copies on (docs/OFFSITE.md)",
			func(s *offsite.Settings) *string { return &s.Endpoint }),
		text(offsite.EnvBucket, "off-host copies: the bucket (it must exist); a backup volume's s3.bucket option overrides it",
			func(s *offsite.Settings) *string { return &s.Bucket }),
		text(offsite.EnvPrefix, "off-host copies: key prefix, copies go under PREFIX/<name>/<date>/; a backup volume's s3.prefix option overrides it",
			func(s *offsite.Settings) *string { return &s.Prefix }),
		text(offsite.EnvRegion, "off-host copies: the bucket's region; empty asks the server",
			func(s *offsite.Settings) *string { return &s.Region }),
		secret(offsite.EnvAccessKey, "off-host copies: the access key ID; prefer the _FILE variant",
			func(s *offsite.Settings) *string { return &s.AccessKey }),
		{Name: envS3AccessKeyFile, Help: "a file holding the access key ID", parse: nop, show: showNothing},
		secret(offsite.EnvSecretKey, "off-host copies: the secret access key; prefer the _FILE variant",
			func(s *offsite.Settings) *string { return &s.SecretKey }),
		{Name: envS3SecretKeyFile, Help: "a file holding the secret access key", parse: nop, show: showNothing},
		boolean(offsite.EnvInsecure, "false", "off-host copies over plain HTTP: only for a test server on a trusted network",
			func(c *Config) *bool { return &c.S3.Insecure }),
		text(offsite.EnvCAFile, "off-host copies: a PEM file of CA certificates trusted besides the system's (a private CA)",
			func(s *offsite.Settings) *string { return &s.CAFile }),
		text(offsite.EnvStorageClass, "off-host copies: the storage class of every object (e.g. STANDARD_IA); empty: the bucket's default",
			func(s *offsite.Settings) *string { return &s.StorageClass }),
	}
	for _, r := range []struct {
		suffix, help string
		field        func(*labels.Retention) **int
		parse        func(string) (int, error)
	}{
		{"DAYS", "remove remote copies older than this many days", func(r *labels.Retention) **int { return &r.Days }, parse.Days},
		{"COUNT", "keep at most this many remote copies per backup name", func(r *labels.Retention) **int { return &r.Count }, keepCount},
		{"DAILY", "keep the newest remote copy of each of the last N days", func(r *labels.Retention) **int { return &r.Daily }, keepCount},
		{"WEEKLY", "keep the newest remote copy of each of the last N weeks", func(r *labels.Retention) **int { return &r.Weekly }, keepCount},
		{"MONTHLY", "keep the newest remote copy of each of the last N months", func(r *labels.Retention) **int { return &r.Monthly }, keepCount},
	} {
		rows = append(rows, remoteRetentionVar(envS3RetentionPre+r.suffix, r.help, r.field, r.parse))
	}
	return rows
}

func keepCount(s string) (int, error) { return parse.Count(s, 0, parse.MaxKeep) }

// remoteRetentionVar is a rule of the remote copies' own policy: empty (the
// default) keeps the local policy's rule for them, 0 turns the rule off.
func remoteRetentionVar(name, help string, field func(*labels.Retention) **int, read func(string) (int, error)) Var {
	kind := kindCount
	if strings.HasSuffix(name, "DAYS") {
		kind = kindDays
	}
	return Var{Name: name, kind: kind,
		Help: help + " (a backup volume's s3.retention.* overrides it); empty: the local rule (BT_RETENTION_*), 0: none",
		parse: func(c *Config, s string) error {
			if s == "" {
				return nil
			}
			n, err := read(s)
			if err != nil {
				return fmt.Errorf("%q %w", s, err)
			}
			*field(&c.S3Retention) = &n
			return nil
		},
		show: func(c Config) string {
			if p := *field(&c.S3Retention); p != nil {
				return strconv.Itoa(*p)
			}
			return ""
		}}
}

// loadS3 reads the credentials, each from its variable or its _FILE variant,
// and checks the off-host settings as a whole once any is set. Errors name the
// variable, never a credential.
func (c *Config) loadS3(lookup Lookup) []error {
	var errs []error
	for _, cred := range []struct {
		name, fileName string
		into           *string
	}{
		{offsite.EnvAccessKey, envS3AccessKeyFile, &c.S3.AccessKey},
		{offsite.EnvSecretKey, envS3SecretKeyFile, &c.S3.SecretKey},
	} {
		value, file := lookupTrimmed(lookup, cred.name), lookupTrimmed(lookup, cred.fileName)
		switch {
		case value != "" && file != "":
			errs = append(errs, &Error{Var: cred.name, Problem: "is set together with " + cred.fileName + ": set only one"})
		case file != "":
			data, err := readSmallFile(file)
			if err != nil {
				errs = append(errs, &Error{Var: cred.fileName, Problem: err.Error()})
				continue
			}
			*cred.into = strings.TrimSpace(string(data))
			if *cred.into == "" {
				errs = append(errs, &Error{Var: cred.fileName, Problem: file + " is empty"})
			}
		default:
			*cred.into = value
		}
	}
	if !c.s3Set(lookup) {
		return errs
	}
	return append(errs, s3Problems(c.S3.Validate())...)
}

// s3Set reports whether any off-host setting is set: then all must be right,
// so a half-done setup is an error at start, never backups silently kept on
// the host alone.
func (c *Config) s3Set(lookup Lookup) bool {
	for _, name := range append(append([]string{}, S3Vars...), S3RetentionVars...) {
		if name == offsite.EnvInsecure {
			continue // its default is false; true alone is checked with the rest
		}
		if lookupTrimmed(lookup, name) != "" {
			return true
		}
	}
	return c.S3.Insecure
}

// S3Enabled reports whether off-host copies are configured.
func (c Config) S3Enabled() bool { return c.S3.Enabled() }

// s3Problems turns offsite's validation errors, each starting with its
// variable's name, into errors naming that variable.
func s3Problems(err error) []error {
	var out []error
	for _, e := range flatten(err) {
		msg := e.Error()
		name := offsite.EnvEndpoint
		for _, v := range S3Vars {
			if strings.HasPrefix(msg, v) {
				name = v
				break
			}
		}
		problem := strings.TrimLeft(strings.TrimPrefix(msg, name), " :=")
		if strings.HasPrefix(msg, name+"=") {
			problem = strings.TrimPrefix(msg, name+"=") // the value, then the problem
		}
		out = append(out, &Error{Var: name, Problem: problem})
	}
	return out
}
