package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/notify"
	"github.com/baktainer/baktainer/store"
)

// derived marks a default computed from other settings.
const derived = "(derived)"

// Var describes one setting: its name, default, whether its value is a secret, and
// how it is parsed into and shown from a Config.
type Var struct {
	Name    string
	Default string
	Secret  bool
	Help    string
	parse   func(c *Config, raw string) error
	show    func(c Config) string
}

// Vars returns the description of every setting, in documentation order.
func Vars() []Var { return append([]Var(nil), vars...) }

var vars = []Var{
	{Name: "BT_BACKUP_DIR", Default: DefaultBackupDir, Help: "standalone mode: the directory archives go under, as <dir>/<name>/<date>/...",
		parse: func(c *Config, s string) error { c.BackupDir = s; return absolute(s) },
		show:  func(c Config) string { return c.BackupDir }},
	{Name: "BT_STATE_DIR", Default: derived, Help: "where the agent keeps its history; default $BT_BACKUP_DIR/.baktainer",
		parse: func(c *Config, s string) error {
			c.StateDir = s
			if s == "" {
				return nil
			}
			return absolute(s)
		},
		show: func(c Config) string { return c.StateDir }},
	{Name: "BT_DEFAULT_VOLUME", Default: "baktainer-backups", Help: "plugin: the backup volume of containers without a baktainer.volume label; created on first use",
		parse: func(c *Config, s string) error {
			c.DefaultVolume = s
			if !regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`).MatchString(s) { // Docker's volume names
				return fmt.Errorf("%q is not a volume name: use letters, digits, '_', '.' and '-', starting with a letter or digit", s)
			}
			return nil
		},
		show: func(c Config) string { return c.DefaultVolume }},
	{Name: "BT_CRON", Default: "0 0 * * *", Help: "default schedule: 5-field cron or a descriptor (@daily, @hourly, @every 6h)",
		parse: func(c *Config, s string) error {
			c.Schedule = s
			if _, err := labels.ParseSchedule(s); err != nil {
				return fmt.Errorf("%q is not a 5-field cron expression or descriptor: %v", s, err)
			}
			return nil
		},
		show: func(c Config) string { return c.Schedule }},
	{Name: "TZ", Default: derived, Help: "time zone schedules are read in (e.g. Europe/Berlin); default the system's",
		parse: func(c *Config, s string) error {
			if s == "" {
				c.Location = time.Local
				return nil
			}
			loc, err := time.LoadLocation(s)
			if err != nil {
				c.Location = time.Local
				return fmt.Errorf("unknown time zone %q", s)
			}
			c.Location = loc
			return nil
		},
		show: func(c Config) string { return c.Location.String() }},
	{Name: "BT_SELECTOR", Help: "extra label selectors a container must match, comma-separated key=value or key",
		parse: func(c *Config, s string) error { sel, err := ParseSelectors(s); c.Selectors = sel; return err },
		show:  func(c Config) string { return strings.Join(c.Selectors, ",") }},
	{Name: "BT_REQUIRE_CONTAINER_LABELS", Default: "false", Help: "ignore baktainer.* labels whose value comes from the container's image (Docker merges an image's LABELs into its containers): only the container's own labels enrol it; see docs/SECURITY.md",
		parse: boolVar(func(c *Config) *bool { return &c.RequireContainerLabels }),
		show:  func(c Config) string { return strconv.FormatBool(c.RequireContainerLabels) }},
	{Name: "BT_THREADS", Default: "4", Help: "how many backups run at once (at most one per container)",
		parse: func(c *Config, s string) (err error) { c.Threads, err = intIn(s, 1, 256); return err },
		show:  func(c Config) string { return strconv.Itoa(c.Threads) }},
	{Name: "BT_BACKUP_TIMEOUT", Default: "1h", Help: "longest one try of a backup may take (30m, 2h, or seconds)",
		parse: func(c *Config, s string) (err error) { c.BackupTimeout, err = duration(s, time.Second); return err },
		show:  func(c Config) string { return c.BackupTimeout.String() }},
	{Name: "BT_BACKUP_RETRIES", Default: "2", Help: "extra tries after a transient failure (never after a permanent one)",
		parse: func(c *Config, s string) (err error) { c.Retries, err = intIn(s, 0, 20); return err },
		show:  func(c Config) string { return strconv.Itoa(c.Retries) }},
	{Name: "BT_BACKUP_RETRY_DELAY", Default: "10s", Help: "wait before the first retry; doubled for each later one, at most 10m",
		parse: func(c *Config, s string) (err error) { c.RetryDelay, err = duration(s, 0); return err },
		show:  func(c Config) string { return c.RetryDelay.String() }},
	{Name: "BT_COMPRESSION", Default: "zstd", Help: "zstd, gzip or none; the label baktainer.compress overrides it",
		parse: func(c *Config, s string) (err error) { c.Compression, err = store.ParseCompression(s); return err },
		show:  func(c Config) string { return string(c.Compression) }},
	{Name: "BT_COMPRESSION_LEVEL", Default: "fastest", Help: "fastest (zstd -1: about 2x the speed of -3, 4% larger), default (zstd -3), better or best",
		parse: func(c *Config, s string) (err error) { c.CompressionLevel, err = store.ParseLevel(s); return err },
		show:  func(c Config) string { return string(c.CompressionLevel) }},
	// The retention rules are read together by store.PolicyFromEnv (see loadPolicy).
	{Name: "BT_RETENTION_DAYS", Default: "0", Help: "remove archives older than this many days after each backup; 0 keeps them",
		parse: nop, show: func(c Config) string { return strconv.Itoa(int(c.Retention.MaxAge / (24 * time.Hour))) }},
	{Name: "BT_RETENTION_COUNT", Default: "0", Help: "keep at most this many archives per backup name; 0: no limit",
		parse: nop, show: func(c Config) string { return strconv.Itoa(c.Retention.MaxCount) }},
	{Name: "BT_RETENTION_DAILY", Default: "0", Help: "also keep the newest archive of each of the last N days (GFS)",
		parse: nop, show: func(c Config) string { return strconv.Itoa(c.Retention.KeepDaily) }},
	{Name: "BT_RETENTION_WEEKLY", Default: "0", Help: "also keep the newest archive of each of the last N weeks (GFS)",
		parse: nop, show: func(c Config) string { return strconv.Itoa(c.Retention.KeepWeekly) }},
	{Name: "BT_RETENTION_MONTHLY", Default: "0", Help: "also keep the newest archive of each of the last N months (GFS)",
		parse: nop, show: func(c Config) string { return strconv.Itoa(c.Retention.KeepMonthly) }},
	{Name: "BT_MIN_FREE_SPACE_GB", Default: "0", Help: "below this much free space, remove the oldest archives (never the newest verified one)",
		parse: nop, show: func(c Config) string {
			return strconv.FormatFloat(float64(c.Retention.MinFreeBytes)/(1<<30), 'f', -1, 64)
		}},
	{Name: "BT_ENCRYPTION_RECIPIENTS", Help: "age or SSH public keys archives are encrypted to (comma or newline separated)",
		parse: nop, show: func(c Config) string { return strings.Join(c.Encryption.Fingerprints, ",") }},
	{Name: "BT_ENCRYPTION_RECIPIENTS_FILE", Help: "a file of recipients, one per line (# comments allowed)", parse: nop, show: showNothing},
	{Name: "BT_ENCRYPTION_PASSPHRASE", Secret: true, Help: "encrypt to a passphrase instead (scrypt); prefer the _FILE variant", parse: nop,
		show: func(c Config) string {
			if c.Encryption.Mode == "passphrase" {
				return maskSecret("set")
			}
			return ""
		}},
	{Name: "BT_ENCRYPTION_PASSPHRASE_FILE", Help: "a file holding the passphrase", parse: nop, show: showNothing},
	{Name: "BT_NOTIFICATION_URLS", Secret: true, Help: "shoutrrr service URLs (space or comma separated), e.g. generic://host/path?template=json",
		parse: func(c *Config, s string) error {
			c.Notify.URLs = notify.SplitURLs(s)
			var errs []error
			for i, u := range c.Notify.URLs {
				if err := notify.CheckServiceURL(u); err != nil {
					errs = append(errs, fmt.Errorf("URL %d of %d: %w", i+1, len(c.Notify.URLs), err))
				}
			}
			return errors.Join(errs...)
		},
		show: func(c Config) string { return maskURLs(c.Notify.URLs...) }},
	{Name: "BT_SLACK_WEBHOOK_URL", Secret: true, Help: "a Slack incoming webhook URL (https://hooks.slack.com/services/...)",
		parse: webhookVar(func(c *Config) *string { return &c.Notify.Slack }, notify.SlackURL),
		show:  func(c Config) string { return maskURLs(c.Notify.Slack) }},
	{Name: "BT_DISCORD_WEBHOOK_URL", Secret: true, Help: "a Discord webhook URL (https://discord.com/api/webhooks/...)",
		parse: webhookVar(func(c *Config) *string { return &c.Notify.Discord }, notify.DiscordURL),
		show:  func(c Config) string { return maskURLs(c.Notify.Discord) }},
	{Name: "BT_TEAMS_WEBHOOK_URL", Secret: true, Help: "a Microsoft Teams incoming webhook URL (https://ORG.webhook.office.com/webhookb2/...)",
		parse: webhookVar(func(c *Config) *string { return &c.Notify.Teams }, notify.TeamsURL),
		show:  func(c Config) string { return maskURLs(c.Notify.Teams) }},
	{Name: "BT_WEBHOOK_URL", Secret: true, Help: "any URL that receives each event as a JSON POST",
		parse: webhookVar(func(c *Config) *string { return &c.Notify.Webhook }, notify.CheckWebhookURL),
		show:  func(c Config) string { return maskURLs(c.Notify.Webhook) }},
	{Name: "BT_NOTIFY_SUCCESS", Default: "false", Help: "notify on every successful backup",
		parse: boolVar(func(c *Config) *bool { return &c.Notify.OnSuccess }),
		show:  func(c Config) string { return strconv.FormatBool(c.Notify.OnSuccess) }},
	{Name: "BT_NOTIFY_FAILURES", Default: "true", Help: "notify on every failed backup",
		parse: boolVar(func(c *Config) *bool { return &c.Notify.OnFailure }),
		show:  func(c Config) string { return strconv.FormatBool(c.Notify.OnFailure) }},
	{Name: "BT_NOTIFY_WARNINGS", Default: "true", Help: "notify on warnings: bad labels, a skipped run, a failed retention",
		parse: boolVar(func(c *Config) *bool { return &c.Notify.OnWarning }),
		show:  func(c Config) string { return strconv.FormatBool(c.Notify.OnWarning) }},
	{Name: "BT_NOTIFY_TIMEOUT", Default: "10s", Help: "longest one notification may take before it is given up (logged)",
		parse: func(c *Config, s string) (err error) { c.Notify.Timeout, err = duration(s, time.Second); return err },
		show:  func(c Config) string { return c.Notify.Timeout.String() }},
	{Name: "BT_HEALTH_SERVER_ENABLED", Default: "true", Help: "serve the HTTP API (and health, status, metrics)",
		parse: boolVar(func(c *Config) *bool { return &c.Server.Enabled }),
		show:  func(c Config) string { return strconv.FormatBool(c.Server.Enabled) }},
	{Name: "BT_HEALTH_BIND", Default: "127.0.0.1", Help: "address the HTTP server listens on (0.0.0.0: every interface)",
		parse: func(c *Config, s string) error { c.Server.Bind = s; return nil },
		show:  func(c Config) string { return c.Server.Bind }},
	{Name: "BT_HEALTH_PORT", Default: "8080", Help: "port of the HTTP server; 0 picks a free one",
		parse: func(c *Config, s string) (err error) { c.Server.Port, err = intIn(s, 0, 65535); return err },
		show:  func(c Config) string { return strconv.Itoa(c.Server.Port) }},
	{Name: "BT_API_TOKEN", Secret: true, Help: "bearer token the HTTP API requires (Authorization: Bearer ...); empty: none",
		parse: func(c *Config, s string) error { c.Server.APIToken = s; return nil },
		show:  func(c Config) string { return maskSecret(c.Server.APIToken) }},
	{Name: "BT_RESYNC_INTERVAL", Default: "5m", Help: "how often the agent re-lists containers even while events flow",
		parse: func(c *Config, s string) (err error) { c.ResyncInterval, err = duration(s, time.Second); return err },
		show:  func(c Config) string { return c.ResyncInterval.String() }},
	{Name: "BT_HISTORY_KEEP", Default: "100", Help: "attempts kept in the history per backup name",
		parse: func(c *Config, s string) (err error) { c.HistoryKeep, err = intIn(s, 1, 100000); return err },
		show:  func(c Config) string { return strconv.Itoa(c.HistoryKeep) }},
	{Name: "BT_LOG_LEVEL", Default: "info", Help: "debug, info, warn or error",
		parse: func(c *Config, s string) (err error) {
			c.LogLevel, err = logrus.ParseLevel(s)
			if err != nil {
				c.LogLevel = logrus.InfoLevel
				return fmt.Errorf("%q is not one of debug, info, warn, error", s)
			}
			return nil
		},
		show: func(c Config) string { return c.LogLevel.String() }},
}

func nop(*Config, string) error { return nil }
func showNothing(Config) string { return "" }
func absolute(s string) error {
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("%q must be an absolute path", s)
	}
	return nil
}

func boolVar(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, s string) error {
		switch strings.ToLower(s) {
		case "true", "yes", "1", "on":
			*field(c) = true
		case "false", "no", "0", "off":
			*field(c) = false
		default:
			return fmt.Errorf("%q must be true or false", s)
		}
		return nil
	}
}

// webhookVar stores a webhook URL after checking it converts; the error never
// repeats the URL, which carries the webhook's token.
func webhookVar(field func(*Config) *string, check func(string) (string, error)) func(*Config, string) error {
	return func(c *Config, s string) error {
		*field(c) = s
		if s == "" {
			return nil
		}
		_, err := check(s)
		return err
	}
}

func intIn(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return lo, fmt.Errorf("%q must be a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

// duration accepts a Go duration ("90s", "2h") or a whole number of seconds; the
// result must be at least lo.
func duration(s string, lo time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.Atoi(s)
		if err2 != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90s, 30m, 2h) or a number of seconds", s)
		}
		d = time.Duration(secs) * time.Second
	}
	if d < lo {
		return 0, fmt.Errorf("%q must be at least %s", s, lo)
	}
	return d, nil
}

// ParseSelectors splits comma-separated label selectors, each "key=value" or "key".
func ParseSelectors(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		if strings.TrimSpace(key) == "" || strings.ContainsAny(key, " \t") {
			return out, fmt.Errorf("selector %q must be key=value or key", part)
		}
		out = append(out, part)
	}
	return out, nil
}
