package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/notify"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// derived marks a default computed from other settings.
const derived = "(derived)"

// Var describes one setting: its name, default, whether its value is a secret, and
// how it is parsed into and shown from a Config. What show returns parses back to
// the same setting (FuzzSettings holds every variable to it).
type Var struct {
	Name    string
	Default string
	Secret  bool
	Help    string
	kind    kind
	parse   func(c *Config, raw string) error
	show    func(c Config) string
}

// kind is the sort of value a variable holds; FuzzSettings checks each kind's
// values are shown as they were read.
type kind int

const (
	kindText kind = iota
	kindCount
	kindBool
	kindDuration
	kindDays
	kindSize
)

// refusesBlank says whether a value of only white space is an error rather than
// "unset": for keys and secrets, a blank value is a mistake that would silently
// turn a protection off (a blank passphrase: plaintext archives).
func (v Var) refusesBlank() bool { return v.Secret || strings.HasPrefix(v.Name, "BT_ENCRYPTION_") }

// Vars returns the description of every setting, in documentation order.
func Vars() []Var { return append([]Var(nil), vars...) }

// The limits of the settings (ranges beyond them are mistakes, not wishes).
const (
	maxThreads        = 256
	maxGID            = 1<<31 - 1 // gid_t's positive range (4294967295 is "none" to chown)
	maxRetries        = 20
	maxHistoryKeep    = 100_000
	maxBackupTimeout  = 7 * 24 * time.Hour
	maxRetryDelay     = 10 * time.Minute
	maxNotifyTimeout  = 10 * time.Minute
	maxResyncInterval = 24 * time.Hour
)

var vars = slices.Concat(coreVars, verifyVars, dockerVars(), s3Vars())

var coreVars = []Var{
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
			if err := parse.VolumeName(s); err != nil {
				return fmt.Errorf("%q is not a volume name: %w", s, err)
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
			c.Location = time.Local
			if s == "" {
				return nil
			}
			loc, err := time.LoadLocation(s)
			if err != nil {
				return fmt.Errorf("unknown time zone %q", s)
			}
			c.Location = loc
			return nil
		},
		show: func(c Config) string { return c.Location.String() }},
	{Name: "BT_SELECTOR", Help: "extra label selectors a container must match, comma-separated key=value or key",
		parse: func(c *Config, s string) error { sel, err := ParseSelectors(s); c.Selectors = sel; return err },
		show:  func(c Config) string { return strings.Join(c.Selectors, ",") }},
	boolean("BT_REQUIRE_CONTAINER_LABELS", "false", "ignore baktainer.* labels whose value comes from the container's image (Docker merges an image's LABELs into its containers): only the container's own labels enrol it; see docs/SECURITY.md",
		func(c *Config) *bool { return &c.RequireContainerLabels }),
	count("BT_THREADS", "4", "how many backups run at once (at most one per container)", 1, maxThreads,
		func(c *Config) *int { return &c.Threads }),
	duration("BT_BACKUP_TIMEOUT", "1h", "longest one try of a backup may take (30m, 2h, or seconds)", time.Second, maxBackupTimeout,
		func(c *Config) *time.Duration { return &c.BackupTimeout }),
	count("BT_BACKUP_RETRIES", "2", "extra tries after a transient failure (never after a permanent one)", 0, maxRetries,
		func(c *Config) *int { return &c.Retries }),
	duration("BT_BACKUP_RETRY_DELAY", "10s", "wait before the first retry; doubled for each later one, at most 10m", 0, maxRetryDelay,
		func(c *Config) *time.Duration { return &c.RetryDelay }),
	{Name: "BT_COMPRESSION", Default: "zstd", Help: "zstd, gzip or none; the label baktainer.compress overrides it",
		parse: func(c *Config, s string) (err error) { c.Compression, err = store.ParseCompression(s); return err },
		show:  func(c Config) string { return string(c.Compression) }},
	{Name: "BT_COMPRESSION_LEVEL", Default: "fastest", Help: "fastest (zstd -1: about 2x the speed of -3, 4% larger), default (zstd -3), better or best",
		parse: func(c *Config, s string) (err error) { c.CompressionLevel, err = store.ParseLevel(s); return err },
		show:  func(c Config) string { return string(c.CompressionLevel) }},
	{Name: "BT_RETENTION_DAYS", Default: "0", kind: kindDays,
		Help: fmt.Sprintf("remove archives older than this many days after each backup; 0 keeps them (at most %d)", parse.MaxDays),
		parse: func(c *Config, s string) error {
			n, err := parse.Days(s)
			if err != nil {
				return fmt.Errorf("%q %w", s, err)
			}
			c.Retention.MaxAge = parse.DaysDuration(n)
			return nil
		},
		show: func(c Config) string { return strconv.FormatInt(int64(c.Retention.MaxAge/parse.Day), 10) }},
	count("BT_RETENTION_COUNT", "0", "keep at most this many archives per backup name; 0: no limit", 0, parse.MaxKeep,
		func(c *Config) *int { return &c.Retention.MaxCount }),
	count("BT_RETENTION_DAILY", "0", "also keep the newest archive of each of the last N days (GFS)", 0, parse.MaxKeep,
		func(c *Config) *int { return &c.Retention.KeepDaily }),
	count("BT_RETENTION_WEEKLY", "0", "also keep the newest archive of each of the last N weeks (GFS)", 0, parse.MaxKeep,
		func(c *Config) *int { return &c.Retention.KeepWeekly }),
	count("BT_RETENTION_MONTHLY", "0", "also keep the newest archive of each of the last N months (GFS)", 0, parse.MaxKeep,
		func(c *Config) *int { return &c.Retention.KeepMonthly }),
	{Name: "BT_MIN_FREE_SPACE_GB", Default: "0", kind: kindSize,
		Help: fmt.Sprintf("below this much free space (GiB, e.g. 10 or 0.5; at most %d), remove the oldest archives (never the newest verified one)", parse.MaxGiB),
		parse: func(c *Config, s string) (err error) {
			if c.Retention.MinFreeBytes, err = parse.GiBytes(s); err != nil {
				return fmt.Errorf("%q %w", s, err)
			}
			return nil
		},
		show: func(c Config) string { return parse.FormatGiB(c.Retention.MinFreeBytes) }},
	{Name: "BT_FREE_SPACE_FLOOR", Default: "auto",
		Help: "a backup's write stops (and leaves nothing) rather than leave less free space than this on its file system: auto (the smaller of 1 GiB and 5%), 0 (none), GiB (e.g. 2) or a share (e.g. 10%, at most 50%)",
		parse: func(c *Config, s string) (err error) {
			if c.FreeSpaceFloor, err = parse.FreeSpaceFloor(s); err != nil {
				c.FreeSpaceFloor = parse.AutoFloor
				return fmt.Errorf("%q %w", s, err)
			}
			return nil
		},
		show: func(c Config) string { return c.FreeSpaceFloor.String() }},
	count("BT_ARCHIVE_GROUP", "0", "the group (a numeric gid) a non-root shipper reads archives with: archives and sidecars 0640 and their directories g+rx in that group; 0: none, archives are 0600 and root's only",
		0, maxGID, func(c *Config) *int { return &c.ArchiveGroup }),
	// The four encryption variables are read together by loadEncryption.
	{Name: envRecipients, Help: "age or SSH public keys archives are encrypted to (comma or newline separated)",
		parse: nop, show: func(c Config) string { return strings.Join(c.Encryption.Fingerprints, ",") }},
	{Name: envRecipientsFile, Help: "a file of recipients, one per line (# comments allowed)", parse: nop, show: showNothing},
	{Name: envPassphrase, Secret: true, Help: "encrypt to a passphrase instead (scrypt); prefer the _FILE variant; blank is an error", parse: nop,
		show: func(c Config) string {
			if c.Encryption.Mode == store.ModePassphrase {
				return maskSecret("set")
			}
			return ""
		}},
	{Name: envPassphraseFile, Help: "a file holding the passphrase", parse: nop, show: showNothing},
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
	boolean("BT_NOTIFY_SUCCESS", "false", "notify on every successful backup", func(c *Config) *bool { return &c.Notify.OnSuccess }),
	boolean("BT_NOTIFY_FAILURES", "true", "notify on every failed backup", func(c *Config) *bool { return &c.Notify.OnFailure }),
	boolean("BT_NOTIFY_WARNINGS", "true", "notify on warnings: bad labels, a skipped run, a failed retention",
		func(c *Config) *bool { return &c.Notify.OnWarning }),
	duration("BT_NOTIFY_TIMEOUT", "10s", "longest one notification may take before it is given up (logged)", time.Second, maxNotifyTimeout,
		func(c *Config) *time.Duration { return &c.Notify.Timeout }),
	boolean("BT_HEALTH_SERVER_ENABLED", "true", "serve the HTTP API (and health, status, metrics)", func(c *Config) *bool { return &c.Server.Enabled }),
	{Name: "BT_HEALTH_BIND", Default: "127.0.0.1", Help: "address the HTTP server listens on (0.0.0.0: every interface)",
		parse: func(c *Config, s string) error { c.Server.Bind = s; return nil },
		show:  func(c Config) string { return c.Server.Bind }},
	count("BT_HEALTH_PORT", "8080", "port of the HTTP server; 0 picks a free one", 0, 65535, func(c *Config) *int { return &c.Server.Port }),
	{Name: "BT_API_TOKEN", Secret: true,
		Help:  fmt.Sprintf("bearer token the HTTP API requires (Authorization: Bearer ...), at least %d characters; empty: none", minAPITokenLength),
		parse: func(c *Config, s string) error { c.Server.APIToken = s; return nil },
		show:  func(c Config) string { return maskSecret(c.Server.APIToken) }},
	duration("BT_RESYNC_INTERVAL", "5m", "how often the agent re-lists containers even while events flow", time.Second, maxResyncInterval,
		func(c *Config) *time.Duration { return &c.ResyncInterval }),
	count("BT_HISTORY_KEEP", "100", "attempts kept in the history per backup name", 1, maxHistoryKeep, func(c *Config) *int { return &c.HistoryKeep }),
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

// count is a whole-number setting from lo to hi.
func count(name, def, help string, lo, hi int, field func(*Config) *int) Var {
	return Var{Name: name, Default: def, Help: fmt.Sprintf("%s (%d to %d)", help, lo, hi), kind: kindCount,
		parse: func(c *Config, s string) error {
			n, err := parse.Count(s, lo, hi)
			if err != nil {
				n, _ = parse.Count(def, lo, hi)
				err = fmt.Errorf("%q %w", s, err)
			}
			*field(c) = n
			return err
		},
		show: func(c Config) string { return strconv.Itoa(*field(&c)) }}
}

// duration is a duration setting from lo to hi.
func duration(name, def, help string, lo, hi time.Duration, field func(*Config) *time.Duration) Var {
	return Var{Name: name, Default: def, Help: fmt.Sprintf("%s (%s to %s)", help, lo, hi), kind: kindDuration,
		parse: func(c *Config, s string) error {
			d, err := parse.Duration(s, lo, hi)
			if err != nil {
				d, _ = parse.Duration(def, lo, hi)
				err = fmt.Errorf("%q %w", s, err)
			}
			*field(c) = d
			return err
		},
		show: func(c Config) string { return field(&c).String() }}
}

// boolean is a yes/no setting.
func boolean(name, def, help string, field func(*Config) *bool) Var {
	return Var{Name: name, Default: def, Help: help, kind: kindBool,
		parse: func(c *Config, s string) error {
			b, err := parse.Bool(s)
			if err != nil {
				b, _ = parse.Bool(def)
				err = fmt.Errorf("%q %w", s, err)
			}
			*field(c) = b
			return err
		},
		show: func(c Config) string { return strconv.FormatBool(*field(&c)) }}
}

func nop(*Config, string) error { return nil }
func showNothing(Config) string { return "" }
func absolute(s string) error {
	if err := parse.AbsolutePath(s); err != nil {
		return fmt.Errorf("%q %w", s, err)
	}
	return nil
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
