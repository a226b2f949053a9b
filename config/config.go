// Package config is baktainer's one typed configuration, read from the BT_*
// environment once at start and validated with errors that name the variable. Every
// variable is described once, in vars.go; that table drives parsing, defaults,
// `baktainer config check` and docs/CONFIG.md.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/notify"
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
	Retention        store.Policy      // BT_RETENTION_*

	Notify notify.Settings
	Server Server

	ResyncInterval time.Duration // BT_RESYNC_INTERVAL: full re-list even when events flow
	HistoryKeep    int           // BT_HISTORY_KEEP: attempts kept per backup name
	LogLevel       logrus.Level  // BT_LOG_LEVEL

	DefaultVolume string // BT_DEFAULT_VOLUME: in the plugin, the volume of targets without baktainer.volume

	sources map[string]string // variable → "env" or "default", for Effective
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

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads every variable through lookup, applies defaults and validates. It
// returns, joined, one *Error per problem, so a user fixes them all at once.
func Load(lookup Lookup) (Config, error) {
	c := Config{sources: map[string]string{}}
	var errs []error
	for _, v := range vars {
		raw, ok := lookup(v.Name)
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
	if err := c.loadEncryption(lookup); err != nil {
		errs = append(errs, err)
	}
	if err := c.loadPolicy(lookup); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

// validate checks what depends on more than one variable.
func (c *Config) validate() []error {
	var errs []error
	if c.StateDir == "" {
		c.StateDir = strings.TrimRight(c.BackupDir, "/") + "/.baktainer"
	}
	if c.Server.APIToken != "" && len(c.Server.APIToken) < 16 {
		errs = append(errs, &Error{Var: "BT_API_TOKEN", Problem: "is too short; use at least 16 characters (e.g. `openssl rand -hex 24`)"})
	}
	return errs
}

// Source says where a variable's value came from: "env" or "default".
func (c Config) Source(name string) string { return c.sources[name] }

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return fmt.Sprintf("%s:%d", host, port)
}
