package labels

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baktainer/baktainer/parse"
)

// The labels of issue #14: what runs around a backup (hooks, stopping other
// containers), what the dump tool is told (options), which databases are dumped
// and how often.
const (
	HookPre         = "baktainer.hook.pre"          // JSON argv run before the dump
	HookPost        = "baktainer.hook.post"         // JSON argv run after a backup that succeeded
	HookPostFailure = "baktainer.hook.post.failure" // JSON argv run after a backup that failed
	HookContainer   = "baktainer.hook.container"    // run the hooks in this container instead of the target
	HookTimeout     = "baktainer.hook.timeout"      // each hook's time limit (default 5m)
	// HookAllow goes on the container hook.container names: the containers
	// (by name, comma separated) whose hooks may run in it.
	HookAllow = "baktainer.hook.allow"

	StopDuringBackup = "baktainer.stop_during_backup"       // a group: its containers are stopped during the dump
	StopGroup        = "baktainer.stop_during_backup_group" // on the containers to stop: the group they belong to

	DumpOptions = "baktainer.db.options" // JSON array of words appended to the dump tool's argv
	Include     = "baktainer.db.include" // comma list of globs: the databases to dump
	Exclude     = "baktainer.db.exclude" // comma list of globs: the databases not to dump
	Split       = "baktainer.db.split"   // one archive per database

	ScheduleOnce = "baktainer.schedule.once" // one backup at a future time: 2026-12-01T03:00Z[=tag]
)

// DefaultHookTimeout bounds a hook when baktainer.hook.timeout is not set.
const DefaultHookTimeout = 5 * time.Minute

// Limits on what the control labels hold: a container's labels are hostile input.
const (
	maxArgvLabel = 64 << 10 // bytes of a JSON argv label
	maxArgvWords = 256
	maxWordBytes = 8 << 10
	maxTagLength = 32
	maxPatterns  = 256
	// MaxHookTimeout is the longest baktainer.hook.timeout.
	MaxHookTimeout = 24 * time.Hour
)

// Hooks are the commands run around a backup, as argv (no shell unless the
// user writes one). Nil: no such hook.
type Hooks struct {
	Pre, Post, PostFailure []string
	Container              string        // empty: the target's own container
	Timeout                time.Duration // zero: DefaultHookTimeout
}

// Any reports whether a hook is set.
func (h Hooks) Any() bool { return h.Pre != nil || h.Post != nil || h.PostFailure != nil }

// TimeoutOrDefault is the time limit of each hook.
func (h Hooks) TimeoutOrDefault() time.Duration {
	if h.Timeout == 0 {
		return DefaultHookTimeout
	}
	return h.Timeout
}

// ScheduleEntry is one of the expressions of baktainer.schedule (separated by
// ';'), with its retention tag: the archives a tagged schedule makes are filed
// under "<name>.<tag>", a series with its own retention.
type ScheduleEntry struct {
	Expr string
	Tag  string
}

// Once is baktainer.schedule.once: a single backup at At (UTC), tagged like a
// schedule entry.
type Once struct {
	At  time.Time
	Tag string
}

// control reads the labels of issue #14 into s.
func (p *parser) control(s *Spec) {
	s.Hooks = Hooks{
		Pre: p.argv(HookPre), Post: p.argv(HookPost), PostFailure: p.argv(HookPostFailure),
		Container: p.checked(HookContainer, containerName),
		Timeout:   p.duration(HookTimeout, time.Second, MaxHookTimeout),
	}
	if !s.Hooks.Any() {
		for _, l := range []string{HookContainer, HookTimeout} {
			if _, ok := p.labels[l]; ok {
				p.warn(l, "no hook is set ("+HookPre+", "+HookPost+" or "+HookPostFailure+"): ignored")
			}
		}
	}
	s.HookAllow = p.names(HookAllow, containerName)
	s.StopDuringBackup = p.checked(StopDuringBackup, groupName)
	s.StopGroup = p.checked(StopGroup, groupName)
	s.DumpOptions = p.argv(DumpOptions)
	s.Include = p.patterns(Include)
	s.Exclude = p.patterns(Exclude)
	s.Split = p.boolean(Split)
	s.Schedules = p.schedules()
	s.Once = p.once()
}

// selection settles db.include, db.exclude and db.split against db.name and
// db.all: they choose among every database, so they stand for db.all=true, and
// a db.name that is not pg_dumpall's first database contradicts them.
func (p *parser) selection(s *Spec) {
	if s.Include == nil && s.Exclude == nil && !s.Split {
		return
	}
	label := Split
	switch {
	case s.Include != nil:
		label = Include
	case s.Exclude != nil:
		label = Exclude
	}
	if s.Database != "" && !s.All && s.Engine != "sqlite" {
		p.fail(label, p.labels[label], "chooses among every database, but "+Database+" names one: remove "+Database+
			" (with postgres, set "+All+"=true to keep it as the database pg_dumpall connects to first)")
		return
	}
	if s.Engine != "sqlite" {
		s.All = true
	}
}

// argv reads a JSON array of strings: a command or options, one word each.
func (p *parser) argv(label string) []string {
	v, ok := p.labels[label]
	if !ok {
		return nil
	}
	words, err := parseArgv(v)
	if err != nil {
		p.fail(label, shorten(v), err.Error())
		return nil
	}
	return words
}

// parseArgv reads a JSON array of strings, each a word of an argv: no shell
// reads it, so quoting is JSON's and nothing else.
func parseArgv(v string) ([]string, error) {
	if len(v) > maxArgvLabel {
		return nil, fmt.Errorf("is longer than %d bytes", maxArgvLabel)
	}
	var words []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(v)), &words); err != nil || words == nil {
		return nil, errors.New(`must be a JSON array of strings, e.g. ["pg_isready","-q"] (no shell reads it; write ["sh","-c","..."] for one)`)
	}
	if len(words) == 0 || len(words) > maxArgvWords {
		return nil, fmt.Errorf("must hold 1 to %d words", maxArgvWords)
	}
	for i, w := range words {
		switch {
		case len(w) > maxWordBytes:
			return nil, fmt.Errorf("word %d is longer than %d bytes", i+1, maxWordBytes)
		case strings.ContainsRune(w, 0) || !utf8.ValidString(w):
			return nil, fmt.Errorf("word %d holds a NUL byte or invalid UTF-8", i+1)
		case i == 0 && strings.TrimSpace(w) == "":
			return nil, errors.New("its first word (the program) is empty")
		}
	}
	return words, nil
}

// shorten keeps an error message's copy of a long value short.
func shorten(v string) string {
	if len(v) <= 200 {
		return v
	}
	return v[:200] + "…"
}

// duration reads a duration label from lo to hi; 0 when not set or refused.
func (p *parser) duration(label string, lo, hi time.Duration) time.Duration {
	v, ok := p.labels[label]
	if !ok {
		return 0
	}
	d, err := parse.Duration(v, lo, hi)
	if err != nil {
		p.fail(label, v, err.Error())
	}
	return d
}

// names reads a comma list of names, each checked.
func (p *parser) names(label string, check func(string) error) []string {
	v := p.text(label)
	if v == "" {
		return nil
	}
	var out []string
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if err := check(n); err != nil {
			p.fail(label, v, fmt.Sprintf("%q: %v", n, err))
			return nil
		}
		out = append(out, n)
	}
	return out
}

// patterns reads a comma list of globs (path.Match's syntax: *, ?, [a-z]).
func (p *parser) patterns(label string) []string {
	v := p.text(label)
	if v == "" {
		return nil
	}
	var out []string
	for _, pat := range strings.Split(v, ",") {
		pat = strings.TrimSpace(pat)
		switch _, err := path.Match(pat, ""); {
		case pat == "":
			p.fail(label, v, "holds an empty pattern (two commas, or one at an end)")
			return nil
		case err != nil || strings.ContainsRune(pat, 0) || !utf8.ValidString(pat):
			p.fail(label, v, fmt.Sprintf("%q is not a glob pattern (*, ?, [a-z] and plain characters)", pat))
			return nil
		}
		out = append(out, pat)
	}
	if len(out) > maxPatterns {
		p.fail(label, v, fmt.Sprintf("holds more than %d patterns", maxPatterns))
		return nil
	}
	return out
}

// MatchDatabases returns, in order, the names that include (every name when
// nil) and not exclude select.
func MatchDatabases(names, include, exclude []string) []string {
	var out []string
	for _, n := range names {
		if (include == nil || matchAny(include, n)) && !matchAny(exclude, n) {
			out = append(out, n)
		}
	}
	return out
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// containerName checks a container name as Docker allows them.
func containerName(s string) error {
	if err := parse.BackupName(s); err != nil {
		return errors.New("must be a container name (letters, digits, '.', '_' and '-', not starting with '.' or '-')")
	}
	return nil
}

// groupName checks a stop group's name: it becomes a label filter's value.
func groupName(s string) error {
	if err := parse.BackupName(s); err != nil {
		return errors.New("must be a group name: letters, digits, '.', '_' and '-', not starting with '.' or '-', at most 128")
	}
	return nil
}

// Tag checks a schedule's retention tag: it becomes part of a backup name.
func Tag(s string) error {
	if s == "" || len(s) > maxTagLength {
		return fmt.Errorf("a tag must be 1 to %d characters long", maxTagLength)
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')) {
			return fmt.Errorf("tag %q: lower-case letters, digits, '-' and '_', starting with a letter or digit", s)
		}
	}
	return nil
}
