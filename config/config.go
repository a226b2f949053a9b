// Package config is baktainer's one typed configuration, read from the BT_*
// environment once at start and validated with errors that name the variable. Every
// variable is described once, in vars.go; that table drives parsing, defaults,
// `baktainer config check` and docs/CONFIG.md. Values are parsed by package parse,
// the same parsers the labels and the plugin's volume options use.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/notify"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// Config is everything the agent and the one-shot commands are configured with.
type Config struct {
	BackupDir string         // BT_BACKUP_DIR: standalone destination root
	StateDir  string         // BT_STATE_DIR: history and the agent's lock
	Schedule  string         // BT_CRON: default schedule of every target
	Location  *time.Location // TZ: the zone schedules are read in
	Selectors []string       // BT_SELECTOR: extra label selectors, "key=value" or "key"
	// RequireContainerLabels (BT_REQUIRE_CONTAINER_LABELS) ignores baktainer.*
	// labels whose value comes from the container's image.
	RequireContainerLabels bool

	Threads       int           // BT_THREADS: dumps at once
	BackupTimeout time.Duration // BT_BACKUP_TIMEOUT: per try
	Retries       int           // BT_BACKUP_RETRIES: extra tries after a transient error
	RetryDelay    time.Duration // BT_BACKUP_RETRY_DELAY: first backoff, doubled each retry

	Compression      store.Compression // BT_COMPRESSION
	CompressionLevel store.Level       // BT_COMPRESSION_LEVEL
	Encryption       store.Encryption  // BT_ENCRYPTION_*
	Retention        store.Policy      // BT_RETENTION_*, BT_MIN_FREE_SPACE_GB
	// FreeSpaceFloor (BT_FREE_SPACE_FLOOR) is the free space a backup's write
	// never goes below on its destination's file system (store.Options.MinFreeBytes).
	FreeSpaceFloor parse.Floor
	// ArchiveGroup (BT_ARCHIVE_GROUP) is the gid that may read archives
	// (store.Options.ReaderGroup); 0: none.
	ArchiveGroup int

	Notify notify.Settings
	Server Server
	Verify Verify // BT_VERIFY_*: scheduled test-restores

	// S3 is where off-host copies go (BT_S3_*; not Enabled when none is set).
	S3 offsite.Settings
	// S3Retention overrides, rule by rule, the local policy for the remote
	// copies (BT_S3_RETENTION_*); nil fields keep the local rule.
	S3Retention labels.Retention

	ResyncInterval time.Duration // BT_RESYNC_INTERVAL: full re-list even when events flow
	HistoryKeep    int           // BT_HISTORY_KEEP: attempts kept per backup name
	LogLevel       logrus.Level  // BT_LOG_LEVEL

	DefaultVolume string // BT_DEFAULT_VOLUME: in the plugin, the volume of targets without baktainer.volume

	// Docker is where the Docker API is: BT_DOCKER_URL with BT_SSL, BT_CA, BT_CERT
	// and BT_KEY, else Docker's own DOCKER_HOST family (docker.Endpoint{}).
	Docker docker.Endpoint
	// LegacyKeys open the Ruby Baktainer's encrypted archives: from
	// BT_ENCRYPTION_KEY, BT_ENCRYPTION_KEY_FILE and BT_ENCRYPTION_PASSPHRASE, read as
	// the Ruby tool read them. New archives are never encrypted with them.
	LegacyKeys []legacy.Key

	sources  map[string]string // variable → "env", "default" or the variable that decided it, for Effective
	warnings []Warning         // unknown and unsupported BT_* variables
	notices  []Warning         // values read other than as written, but as meant
	docker   dockerRaw         // the endpoint's variables, for loadDocker
	rubySet  []Setting         // the Ruby tool's variables that were set
}

// Server configures the agent's HTTP server (API, and later health and metrics).
type Server struct {
	Enabled  bool   // BT_HEALTH_SERVER_ENABLED
	Bind     string // BT_HEALTH_BIND
	Port     int    // BT_HEALTH_PORT; 0 picks a free port
	APIToken string // BT_API_TOKEN: bearer token; empty: no token required
}

// Addr is the server's listen address.
func (s Server) Addr() string { return joinHostPort(s.Bind, s.Port) }

// Error is one problem with one variable. It never repeats a secret's value.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// DefaultBackupDir is where archives go when BT_BACKUP_DIR is not set, as in the
// original Baktainer.
const DefaultBackupDir = "/backups"

// Lookup reads one variable; os.LookupEnv is the real one.
type Lookup func(name string) (string, bool)

// FromEnv loads the configuration from the process environment, with a warning
// for every BT_* variable baktainer does not read. overrides ("NAME=value", as
// command-line flags give them) win over the environment.
func FromEnv(overrides ...string) (Config, error) {
	return LoadEnviron(append(os.Environ(), overrides...))
}

// LoadEnviron loads the configuration from "NAME=value" entries (os.Environ's
// form; a later entry wins), with a warning for every BT_* variable baktainer does
// not read: most are typos that would otherwise silently change nothing.
func LoadEnviron(environ []string) (Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			env[name] = value
		}
	}
	c, err := Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	c.warnings = append(c.warnings, unknownVars(env)...)
	sortWarnings(c.warnings)
	return c, err
}

// Load reads every variable through lookup, applies defaults and validates. It
// returns, joined, one *Error per problem, so a user fixes them all at once; the
// Config holds every setting that was valid (defaults for the others).
func Load(lookup Lookup) (Config, error) {
	c := Config{sources: map[string]string{}}
	raw := lookup
	lookup = c.unquoting(lookup)
	var errs []error
	for _, v := range vars {
		raw, ok := lookup(v.Name)
		if ok && raw != "" && strings.TrimSpace(raw) == "" && v.refusesBlank() {
			errs = append(errs, &Error{Var: v.Name, Problem: "is set but blank: unset it or give it a value"})
		}
		raw = strings.TrimSpace(raw)
		source := "env"
		if !ok || raw == "" {
			raw, source = v.Default, "default"
		}
		if v.Default == derived && source == "default" {
			raw = ""
		}
		c.sources[v.Name] = source
		if err := v.parse(&c, raw); err != nil {
			errs = append(errs, &Error{Var: v.Name, Problem: err.Error()})
		}
	}
	errs = append(errs, c.loadEncryption(lookup)...)
	errs = append(errs, c.loadVerify(lookup)...)
	errs = append(errs, c.loadDocker(lookup)...)
	errs = append(errs, c.loadS3(lookup)...)
	errs = append(errs, c.loadRuby(lookup, raw)...)
	errs = append(errs, c.validate()...)
	sortWarnings(c.warnings)
	sortWarnings(c.notices)
	return c, errors.Join(errs...)
}

// minAPITokenLength keeps BT_API_TOKEN out of reach of guessing.
const minAPITokenLength = 16

// validate checks what depends on more than one variable.
func (c *Config) validate() []error {
	var errs []error
	if c.StateDir == "" {
		c.StateDir = strings.TrimRight(c.BackupDir, "/") + "/.baktainer"
	}
	if c.Server.APIToken != "" && len(c.Server.APIToken) < minAPITokenLength {
		errs = append(errs, &Error{Var: "BT_API_TOKEN", Problem: fmt.Sprintf(
			"is too short; use at least %d characters (e.g. `openssl rand -hex 24`)", minAPITokenLength)})
	}
	return errs
}

// Source says where a variable's value came from: "env", "default", or the Ruby
// Baktainer variable that decided it (BT_COMPRESS, BT_ROTATION_ENABLED).
func (c Config) Source(name string) string { return c.sources[name] }

// ProblemsWith keeps, of the problems Load returned, those with the named
// variables: a command that reads only a few settings is not stopped by a
// mistake in another one.
func ProblemsWith(err error, names ...string) error {
	var kept []error
	for _, e := range flatten(err) {
		var ce *Error
		if !errors.As(e, &ce) {
			kept = append(kept, e)
			continue
		}
		for _, name := range names {
			if ce.Var == name {
				kept = append(kept, e)
				break
			}
		}
	}
	return errors.Join(kept...)
}

// flatten lists the leaves of an errors.Join tree.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return fmt.Sprintf("%s:%d", host, port)
}
