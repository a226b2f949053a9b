package config

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
)

// Setting is one variable's effective value, masked when it is a secret.
type Setting struct {
	Name   string
	Value  string
	Source string // "env" or "default"
	Secret bool
}

// Effective returns every setting's effective value. Secrets are masked: tokens and
// passphrases show only whether they are set; URLs show only scheme and host.
func (c Config) Effective() []Setting {
	out := make([]Setting, 0, len(vars))
	for _, v := range vars {
		out = append(out, Setting{Name: v.Name, Value: v.show(c), Source: c.Source(v.Name), Secret: v.Secret})
	}
	return out
}

// Print writes the effective configuration as aligned NAME=VALUE lines.
func (c Config) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range c.Effective() {
		fmt.Fprintf(tw, "%s=%s\t(%s)\n", s.Name, s.Value, s.Source)
	}
	return tw.Flush()
}

func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	return "********"
}

// maskURLs shows only each URL's scheme and host: paths, user info and queries of
// webhook and service URLs carry tokens.
func maskURLs(urls ...string) string {
	var shown []string
	for _, raw := range urls {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" {
			shown = append(shown, "********")
			continue
		}
		host := u.Hostname()
		if u.User != nil || host == "" {
			host = "…"
		}
		shown = append(shown, u.Scheme+"://"+host+"/********")
	}
	return strings.Join(shown, " ")
}
