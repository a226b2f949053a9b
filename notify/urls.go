package notify

import (
	"errors"
	"net/url"
	"strings"

	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/teams"
)

// The original Baktainer took plain webhook URLs for Slack, Discord and Teams;
// shoutrrr takes its own service URLs. These turn one into the other, so the
// services' own formats are sent by shoutrrr, not by hand.

// SlackURL converts https://hooks.slack.com/services/T…/B…/X… to slack://hook:T…-B…-X…@webhook.
func SlackURL(webhook string) (string, error) {
	parts, ok := webhookPath(webhook, "hooks.slack.com", "/services/", 3)
	if !ok {
		return "", errors.New("must look like https://hooks.slack.com/services/T…/B…/…")
	}
	return "slack://hook:" + strings.Join(parts, "-") + "@webhook", nil
}

// DiscordURL converts https://discord.com/api/webhooks/ID/TOKEN to discord://TOKEN@ID.
func DiscordURL(webhook string) (string, error) {
	parts, ok := webhookPath(webhook, "discord.com", "/api/webhooks/", 2)
	if !ok {
		parts, ok = webhookPath(webhook, "discordapp.com", "/api/webhooks/", 2)
	}
	if !ok {
		return "", errors.New("must look like https://discord.com/api/webhooks/ID/TOKEN")
	}
	return "discord://" + parts[1] + "@" + parts[0], nil
}

// TeamsURL converts a Teams incoming webhook URL with shoutrrr's own parser.
func TeamsURL(webhook string) (string, error) {
	u, err := url.Parse(webhook)
	if err == nil {
		var cfg *teams.Config
		if cfg, err = teams.ConfigFromWebhookURL(*u); err == nil {
			return cfg.GetURL().String(), nil
		}
	}
	return "", errors.New("must look like https://ORG.webhook.office.com/webhookb2/GROUP@TENANT/IncomingWebhook/ID/OWNER/KEY")
}

// webhookPath returns the n non-empty path segments after prefix of an https URL
// on host.
func webhookPath(raw, host, prefix string, n int) ([]string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Hostname(), host) || !strings.HasPrefix(u.Path, prefix) {
		return nil, false
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(u.Path, prefix), "/"), "/")
	if len(parts) != n {
		return nil, false
	}
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
	}
	return parts, true
}

// SplitURLs splits a list of service URLs separated by whitespace or commas. A comma
// inside a URL (a query value, a Slack token) stays when what follows it is not
// itself a URL.
func SplitURLs(s string) []string {
	var out []string
	for _, field := range strings.Fields(s) {
		pieces := strings.Split(field, ",")
		for i, p := range pieces {
			switch {
			case p == "":
			case i > 0 && !strings.Contains(p, "://") && len(out) > 0:
				out[len(out)-1] += "," + p
			default:
				out = append(out, p)
			}
		}
	}
	return out
}
