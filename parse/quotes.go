package parse

import "strings"

// Unquote takes one pair of matching quotes, double or single, off a value (white
// space around it first): docker-compose's list syntax keeps them as part of the
// value, so `- BT_CRON="0 0 * * *"` and `- baktainer.name="MyApp"`, both in the
// Ruby Baktainer's README, carry them. changed says quotes were taken off; the
// caller warns about it. Anything else is returned as it was, untrimmed.
func Unquote(s string) (unquoted string, changed bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 {
		return s, false
	}
	if q := t[0]; (q == '"' || q == '\'') && t[len(t)-1] == q {
		return t[1 : len(t)-1], true
	}
	return s, false
}
