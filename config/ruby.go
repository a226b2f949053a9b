package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// RubyVar is a variable of the Ruby Baktainer that baktainer reads for its old
// meaning only: it is no setting of baktainer's own (the table of Vars), and the
// plugin does not offer it. Help says what baktainer does with it.
type RubyVar struct {
	Name   string
	Secret bool
	Help   string
}

// rubyVars are the Ruby tool's variables that baktainer has no setting of the
// same name for (those it shares, BT_CRON, BT_RETENTION_DAYS and the others, are
// in the table of Vars). Keep in step with docs/MIGRATING.md.
var rubyVars = []RubyVar{
	{Name: "BT_COMPRESS", Help: "false: BT_COMPRESSION=none; true: compressed (zstd, baktainer's default; BT_COMPRESSION=gzip for the Ruby tool's gzip). BT_COMPRESSION wins when set"},
	{Name: "BT_ROTATION_ENABLED", Help: "false: BT_RETENTION_* and BT_MIN_FREE_SPACE_GB are off (a container's baktainer.retention.* labels still apply); true: retention as the BT_RETENTION_* settings say"},
	{Name: "BT_ENCRYPTION_ENABLED", Help: "true: new archives must be encrypted, with age: refused unless BT_ENCRYPTION_RECIPIENTS(_FILE) or BT_ENCRYPTION_PASSPHRASE(_FILE) is set; false: a reminder that they are not (ignored, with a warning, when those are set)"},
	{Name: legacy.EnvKey, Secret: true, Help: "opens the Ruby tool's encrypted (BAKT) archives in verify, restore and migrate; new archives are never encrypted with it (a warning says so unless BT_ENCRYPTION_ENABLED=false or age encryption is set)"},
	{Name: legacy.EnvKeyFile, Help: "a file holding BT_ENCRYPTION_KEY, read byte for byte as the Ruby tool read it"},
	{Name: "BT_KEY_ROTATION_ENABLED", Help: "baktainer has no key rotation: true is warned about; change BT_ENCRYPTION_RECIPIENTS to change keys"},
	{Name: "BT_NOTIFICATION_CHANNELS", Help: "slack, discord, teams, webhook: only the listed ones of BT_*_WEBHOOK_URL are notified, as the Ruby tool did; log: baktainer logs anyway; email: none (use BT_NOTIFICATION_URLS=smtp://...)"},
	{Name: "BT_NOTIFY_HEALTH", Help: "baktainer sends no health notifications (watch /health): true is warned about"},
	{Name: "BT_NOTIFY_SUMMARY", Help: "baktainer sends no summary reports (see /status and /metrics): true is warned about"},
}

// RubyVars returns the Ruby tool's variables that baktainer reads for their old
// meaning, in documentation order.
func RubyVars() []RubyVar { return append([]RubyVar(nil), rubyVars...) }

func isRubyVar(name string) bool {
	for _, v := range rubyVars {
		if v.Name == name {
			return true
		}
	}
	return false
}

// loadRuby reads the Ruby tool's variables, after every setting of baktainer's own:
// each is applied with its old meaning, or warned about with what replaced it.
// raw reads values as the Ruby tool did (untrimmed, quotes kept), for its keys.
func (c *Config) loadRuby(lookup, raw Lookup) []error {
	get := func(name string) (string, bool) {
		v := lookupTrimmed(lookup, name)
		if v != "" && !slices.ContainsFunc(c.rubySet, func(s Setting) bool { return s.Name == name }) {
			c.rubySet = append(c.rubySet, Setting{Name: name, Value: v, Source: "env", Secret: name == legacy.EnvKey})
		}
		return v, v != ""
	}
	var errs []error
	for _, load := range []func(func(string) (string, bool)) []error{
		c.rubyCompress, c.rubyRotation,
		func(get func(string) (string, bool)) []error { return c.rubyEncryption(get, raw) },
		c.rubyChannels, c.rubyNothing,
	} {
		errs = append(errs, load(get)...)
	}
	return errs
}

// rubyBool reads one of the Ruby tool's yes/no variables.
func rubyBool(get func(string) (string, bool), name string) (value, set bool, err error) {
	v, set := get(name)
	if !set {
		return false, false, nil
	}
	b, perr := parse.Bool(v)
	if perr != nil {
		return false, true, &Error{Var: name, Problem: fmt.Sprintf("%q %v", v, perr)}
	}
	return b, true, nil
}

func (c *Config) rubyCompress(get func(string) (string, bool)) []error {
	on, set, err := rubyBool(get, "BT_COMPRESS")
	switch {
	case err != nil:
		return []error{err}
	case !set:
		return nil
	case c.Source("BT_COMPRESSION") == "env" && on == (c.Compression != store.None):
		c.note("BT_COMPRESS", "BT_COMPRESSION is set too, and says the same")
	case c.Source("BT_COMPRESSION") == "env":
		c.warn("BT_COMPRESS", fmt.Sprintf("ignored: BT_COMPRESSION=%s is set and wins", c.Compression))
	case on:
		c.sources["BT_COMPRESSION"] = "BT_COMPRESS"
		c.note("BT_COMPRESS", "archives are compressed with BT_COMPRESSION's default, zstd (the Ruby tool used gzip: BT_COMPRESSION=gzip for that)")
	default:
		c.Compression = store.None
		c.sources["BT_COMPRESSION"] = "BT_COMPRESS"
		c.note("BT_COMPRESS", "read as BT_COMPRESSION=none")
	}
	return nil
}

func (c *Config) rubyRotation(get func(string) (string, bool)) []error {
	on, set, err := rubyBool(get, "BT_ROTATION_ENABLED")
	switch {
	case err != nil:
		return []error{err}
	case !set:
		return nil
	case on:
		c.note("BT_ROTATION_ENABLED", "retention removes what BT_RETENTION_* and BT_MIN_FREE_SPACE_GB say; unlike the Ruby tool "+
			"(30 days and 10 GB unless told otherwise), nothing when they are unset")
		return nil
	}
	for _, name := range RetentionVars {
		if c.Source(name) == "env" {
			c.warn(name, "ignored: BT_ROTATION_ENABLED=false turns the settings' retention off")
		}
		c.sources[name] = "BT_ROTATION_ENABLED"
	}
	c.Retention = store.Policy{}
	c.note("BT_ROTATION_ENABLED", "false: the settings remove no archive (BT_RETENTION_* and BT_MIN_FREE_SPACE_GB are off); "+
		"a container's baktainer.retention.* labels and a volume's options still apply")
	return nil
}

// rubyNothing warns about the Ruby tool's features baktainer does not have, when
// they are asked for.
func (c *Config) rubyNothing(get func(string) (string, bool)) []error {
	var errs []error
	for _, f := range []struct{ name, what string }{
		{"BT_KEY_ROTATION_ENABLED", "baktainer has no key rotation; to change keys, change BT_ENCRYPTION_RECIPIENTS (each archive keeps the recipients it was written for)"},
		{"BT_NOTIFY_HEALTH", "baktainer sends no health notifications: watch /health (or the metrics); failed backups and warnings are notified"},
		{"BT_NOTIFY_SUMMARY", "baktainer sends no summary reports: /status and /metrics have the numbers"},
	} {
		on, set, err := rubyBool(get, f.name)
		switch {
		case err != nil:
			errs = append(errs, err)
		case on:
			c.warn(f.name, "ignored: "+f.what)
		case set:
			c.note(f.name, f.what)
		}
	}
	return errs
}

// channelURLs are the Ruby tool's notification channels that have a webhook URL.
var channelURLs = []struct{ channel, urlVar string }{
	{"slack", "BT_SLACK_WEBHOOK_URL"}, {"discord", "BT_DISCORD_WEBHOOK_URL"}, {"teams", "BT_TEAMS_WEBHOOK_URL"}, {"webhook", "BT_WEBHOOK_URL"},
}

// rubyChannels applies BT_NOTIFICATION_CHANNELS as the Ruby tool did: only the
// channels it lists are notified.
func (c *Config) rubyChannels(get func(string) (string, bool)) []error {
	const name = "BT_NOTIFICATION_CHANNELS"
	v, set := get(name)
	if !set {
		return nil
	}
	listed := map[string]bool{}
	for _, ch := range strings.Split(v, ",") {
		if ch = strings.ToLower(strings.TrimSpace(ch)); ch != "" {
			listed[ch] = true
		}
	}
	for _, cu := range channelURLs {
		url := c.webhook(cu.channel)
		switch {
		case listed[cu.channel] && *url == "":
			c.warn(name, fmt.Sprintf("lists %s, but %s is not set: nothing is sent to %s", cu.channel, cu.urlVar, cu.channel))
		case !listed[cu.channel] && *url != "":
			*url = ""
			c.warn(cu.urlVar, "not used: "+name+" does not list "+cu.channel+" (the Ruby tool notified only the channels listed)")
		}
		delete(listed, cu.channel)
	}
	rest := make([]string, 0, len(listed))
	for ch := range listed {
		rest = append(rest, ch)
	}
	sort.Strings(rest)
	for _, ch := range rest {
		switch ch {
		case "log":
			c.note(name, "log: baktainer logs every backup and warning anyway")
		case "email":
			c.warn(name, "email: baktainer has no email notifier of its own (the Ruby tool only logged a line): use BT_NOTIFICATION_URLS=smtp://...")
		default:
			c.warn(name, fmt.Sprintf("%s: not a channel (slack, discord, teams, webhook, log or email; ignored)", ch))
		}
	}
	return nil
}

func (c *Config) webhook(channel string) *string {
	return map[string]*string{"slack": &c.Notify.Slack, "discord": &c.Notify.Discord, "teams": &c.Notify.Teams, "webhook": &c.Notify.Webhook}[channel]
}
