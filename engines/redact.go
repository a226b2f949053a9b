package engines

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// redactedMark replaces a secret in text a tool wrote.
const redactedMark = "[REDACTED]"

// Redact returns text with every secret replaced by [REDACTED] where it stands as
// a whole word: where no letter, digit or underscore joins it to a longer word. A
// password "postgres" is taken out of `password "postgres"` and out of
// `postgres://u:postgres@host`, but not out of "/var/run/postgresql"; a password
// "x" not out of "exited". A substring is never replaced: that garbles messages
// and, by where the marks fall, tells the reader the password. Redaction is for
// what a tool wrote; baktainer's own messages never hold a secret.
func Redact(text string, secrets ...string) string {
	secrets = slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return s == "" })
	if len(secrets) == 0 {
		return text
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	var out strings.Builder
	for i := 0; i < len(text); {
		if s, ok := wholeWordAt(text, i, secrets); ok {
			out.WriteString(redactedMark)
			i += len(s)
			continue
		}
		out.WriteByte(text[i])
		i++
	}
	return out.String()
}

// wholeWordAt returns the first secret that starts at text[i] as a whole word.
func wholeWordAt(text string, i int, secrets []string) (string, bool) {
	for _, s := range secrets {
		if !strings.HasPrefix(text[i:], s) {
			continue
		}
		first, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(s):])
		if (i == 0 || !isWordRune(first) || !isWordRune(before)) &&
			(i+len(s) == len(text) || !isWordRune(last) || !isWordRune(after)) {
			return s, true
		}
	}
	return "", false
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// Secrets lists the values of t that must never be shown: the values of the
// credential labels (baktainer.db.password, and baktainer.db.password_file, where
// a password may be pasted instead of a path) and of every variable of the
// container's environment whose name says it holds a secret (PASS, SECRET, TOKEN,
// KEY, AUTH; at least 4 characters, as the name is only a guess).
func Secrets(t Target) []string {
	var out []string
	for _, v := range []string{t.Spec.Password, t.Spec.PasswordFile, t.Container.Labels[labels.Password], t.Container.Labels[labels.PasswordFile]} {
		if v != "" {
			out = append(out, v)
		}
	}
	for k, v := range t.Container.Env {
		up := strings.ToUpper(k)
		if len(v) >= 4 && !strings.HasSuffix(up, "_FILE") &&
			(strings.Contains(up, "PASS") || strings.Contains(up, "SECRET") || strings.Contains(up, "TOKEN") ||
				strings.Contains(up, "KEY") || strings.Contains(up, "AUTH")) {
			out = append(out, v)
		}
	}
	return out
}

// secretsOf are the secrets to take out of a tool's message about t: t's Secrets
// and the password in use, but not a value the message shows anyway as what it is
// (the user, the database). A password "postgres" for the user "postgres" stays in
// `user "postgres"`: redacting it there would point at the password, hiding nothing.
func secretsOf(t Target, password setting, shown ...string) []string {
	out := append(Secrets(t), password.Value)
	return slices.DeleteFunc(out, func(s string) bool { return s == "" || slices.Contains(shown, s) })
}

// redact returns err, whose message baktainer built from its own words plus, at
// most, a tool's standard error (a *docker.ExitError), with the secrets taken out
// of that standard error (see Redact). The ExitError stays an *docker.ExitError so
// callers can still inspect the exit code. The result is marked as redacted (see
// IsRedacted).
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var exit *docker.ExitError
	if !errors.As(err, &exit) {
		return &redactedError{msg: err.Error(), cause: err}
	}
	clean := *exit
	clean.Stderr = Redact(exit.Stderr, secrets...)
	msg := strings.Replace(err.Error(), exit.Error(), clean.Error(), 1)
	return &redactedError{msg: msg, cause: &clean}
}

// redactedError carries a message whose quoted tool output is redacted.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
func (e *redactedError) redacted()     {}

// IsRedacted reports whether an engine built err's message: its own words, and a
// tool's output with the target's Secrets taken out. Such a message needs no
// second pass (which would take out of baktainer's own words a password that
// happens to equal the user's name, and so point at it).
func IsRedacted(err error) bool {
	var r interface{ redacted() }
	return errors.As(err, &r)
}
