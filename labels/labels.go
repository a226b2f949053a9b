// Package labels turns the baktainer.* labels of a container into a typed Spec. The
// names are those of the original Baktainer, plus a few new ones.
package labels

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/baktainer/baktainer/parse"
)

// The labels baktainer reads. Those marked "new" did not exist in the Ruby tool.
const (
	Backup       = "baktainer.backup"
	Engine       = "baktainer.db.engine"
	Database     = "baktainer.db.name" // for sqlite: the file path inside the container
	User         = "baktainer.db.user"
	Password     = "baktainer.db.password"
	PasswordFile = "baktainer.db.password_file" // new: a path inside the target container
	All          = "baktainer.db.all"
	Name         = "baktainer.name"
	Compress     = "baktainer.compress"
	Schedule     = "baktainer.schedule"        // new: cron expressions or descriptors, ';' between them, each "=tag" optionally
	OnStart      = "baktainer.backup.on_start" // new
	Volume       = "baktainer.volume"          // new: the backup volume for this container
	KeepDays     = "baktainer.retention.days"  // new: overrides BT_RETENTION_DAYS
	KeepCount    = "baktainer.retention.count" // new: overrides BT_RETENTION_COUNT
	KeepDaily    = "baktainer.retention.daily"
	KeepWeekly   = "baktainer.retention.weekly"
	KeepMonthly  = "baktainer.retention.monthly"
	// VerifySchedule is when the newest archive is test-restored (new): a
	// schedule as Schedule, or "off"; overrides BT_VERIFY_CRON.
	VerifySchedule = "baktainer.verify.schedule"
)

// VerifyOff is Spec.VerifySchedule of a container whose test-restores are off
// (baktainer.verify.schedule=off, none or false), whatever BT_VERIFY_CRON says.
const VerifyOff = "off"

// Prefix starts every baktainer label.
const Prefix = "baktainer."

// Spec is the typed form of a container's baktainer labels. Zero values mean "not
// set": the engine or the agent's configuration supplies the default.
type Spec struct {
	Backup       bool
	Engine       string // canonical engine name, lower case
	Database     string
	User         string
	Password     string // plain label; prefer PasswordFile or the container's own env
	PasswordFile string
	All          bool
	Name         string // the backup's name; the container name when empty
	Compress     string // zstd, gzip or none; empty for the default
	Schedule     string // as labelled: Schedules is its parsed form
	OnStart      bool
	Volume       string
	Retention    Retention
	// VerifySchedule is when to test-restore the newest archive: a schedule,
	// VerifyOff, or "" for BT_VERIFY_CRON.
	VerifySchedule string
	// The labels of issue #14 (control.go, schedules.go).
	Hooks            Hooks
	HookAllow        []string // on a hook container: whose hooks may run in it
	StopDuringBackup string   // the group stopped during this container's dumps
	StopGroup        string   // the group this container belongs to
	DumpOptions      []string // appended to the dump tool's argv; engines check them
	Include, Exclude []string // globs choosing among every database
	Split            bool     // one archive per database
	Schedules        []ScheduleEntry
	Once             *Once
	// Warnings are what Parse noticed without refusing it (an unknown
	// baktainer.* label, most likely a typo): the container is still backed up,
	// and `labels check`, the log and /status say so.
	Warnings []Warning
}

// Retention holds the per-container overrides of the retention policy; nil: not set.
// Days are whole days (at most parse.MaxDays), the others counts of archives.
type Retention struct {
	Days, Count, Daily, Weekly, Monthly *int
}

// Error is one problem with one label. It never repeats the value of a credential
// label (password_file too: a password is sometimes pasted where its path belongs).
type Error struct {
	Label   string
	Value   string
	Problem string
}

func (e *Error) Error() string {
	if e.Value == "" || e.Label == Password || e.Label == PasswordFile {
		return fmt.Sprintf("label %s: %s", e.Label, e.Problem)
	}
	return fmt.Sprintf("label %s=%q: %s", e.Label, e.Value, e.Problem)
}

// Warning is a label baktainer does not read, or reads other than as written, but
// does not refuse either: a typo must never cost a backup. It never repeats the
// label's value (it may show the backup name baktainer made of baktainer.name's).
type Warning struct {
	Label   string
	Problem string
}

func (w Warning) String() string { return fmt.Sprintf("label %s: %s", w.Label, w.Problem) }

var engineAliases = map[string]string{
	"postgres": "postgres", "postgresql": "postgres",
	"mysql": "mysql", "mariadb": "mariadb",
	"sqlite": "sqlite", "sqlite3": "sqlite",
	"mongodb": "mongodb", "mongo": "mongodb",
	"redis": "redis",
}

// CanonicalEngine maps an engine label value to its canonical name: aliases
// ("postgresql") to the name they stand for, anything else to its trimmed lower-case
// form. Whether an engine of that name exists is the engine registry's call.
func CanonicalEngine(value string) string {
	v := strings.ToLower(strings.TrimSpace(value))
	if canonical, ok := engineAliases[v]; ok {
		return canonical
	}
	return v
}

// Parse reads every baktainer.* label. It returns the spec and, joined, one *Error
// for each problem found: it does not stop at the first, so a user fixes them all at
// once. What it reads without a problem but maybe not as meant (an unknown label,
// most likely a typo; a value in quotes; a label of the Ruby Baktainer that
// baktainer reads differently or not at all) is a warning in Spec.Warnings.
func Parse(labels map[string]string) (Spec, error) {
	unq, quoteWarnings := unquoted(labels)
	p := parser{labels: unq, warnings: quoteWarnings}
	var s Spec
	s.Backup = p.boolean(Backup)
	if v, ok := unq[Engine]; ok {
		if s.Engine = CanonicalEngine(v); s.Engine == "" {
			p.fail(Engine, v, "is empty; use one of postgres, postgresql, mysql, mariadb, sqlite, mongodb, redis")
		}
	}
	if s.Engine == "sqlite" {
		s.Database = p.checked(Database, sqlitePath) // a file path inside the container
	} else {
		s.Database = p.checked(Database, parse.Identifier)
	}
	s.User = p.checked(User, parse.Identifier)
	s.Password = unq[Password]
	s.PasswordFile = p.checked(PasswordFile, secretPath)
	s.All = p.boolean(All)
	p.databases(&s)
	s.Name = p.name()
	s.Compress = p.compression(p.pick(Compress, RubyCompress))
	s.Schedule = p.text(Schedule)
	s.VerifySchedule = p.verifySchedule()
	p.control(&s)
	p.selection(&s)
	s.OnStart = p.boolean(OnStart)
	s.Volume = p.checked(Volume, parse.VolumeName)
	s.Retention = Retention{
		Days: p.count(p.pick(KeepDays, RubyKeepDays), parse.Days), Count: p.count(p.pick(KeepCount, RubyKeepCount), keep),
		Daily: p.count(KeepDaily, keep), Weekly: p.count(KeepWeekly, keep), Monthly: p.count(KeepMonthly, keep),
	}
	p.unknown()
	sort.SliceStable(p.warnings, func(i, j int) bool { return p.warnings[i].Label < p.warnings[j].Label })
	s.Warnings = p.warnings
	return s, errors.Join(p.errs...)
}

// keep parses a retention count: 0 to parse.MaxKeep archives.
func keep(s string) (int, error) { return parse.Count(s, 0, parse.MaxKeep) }

// sqlitePath checks a SQLite database label: the file's absolute path.
func sqlitePath(s string) error {
	if err := parse.AbsolutePath(s); err != nil {
		return errors.New("must be the database file's absolute path inside the container, e.g. /data/app.db")
	}
	return nil
}

// secretPath checks a password file label: an absolute path inside the container.
func secretPath(s string) error {
	if err := parse.AbsolutePath(s); err != nil {
		return fmt.Errorf("%w inside the container, e.g. /run/secrets/db_password", err)
	}
	return nil
}

type parser struct {
	labels   map[string]string
	errs     []error
	warnings []Warning
}

func (p *parser) warn(label, problem string) {
	p.warnings = append(p.warnings, Warning{Label: label, Problem: problem})
}

func (p *parser) fail(label, value, problem string) {
	p.errs = append(p.errs, &Error{Label: label, Value: value, Problem: problem})
}

func (p *parser) text(label string) string {
	v, ok := p.labels[label]
	if ok && strings.TrimSpace(v) == "" {
		p.fail(label, v, "is empty; remove the label or give it a value")
	}
	return strings.TrimSpace(v)
}

// checked reads a text label and checks its shape; a refused value is not kept.
func (p *parser) checked(label string, check func(string) error) string {
	v := p.text(label)
	if v == "" {
		return ""
	}
	if err := check(v); err != nil {
		p.fail(label, v, err.Error())
		return ""
	}
	return v
}

func (p *parser) boolean(label string) bool {
	v, ok := p.labels[label]
	if !ok {
		return false
	}
	b, err := parse.Bool(v)
	if err != nil {
		p.fail(label, v, err.Error())
	}
	return b
}

func (p *parser) count(label string, parseCount func(string) (int, error)) *int {
	v, ok := p.labels[label]
	if !ok {
		return nil
	}
	n, err := parseCount(v)
	if err != nil {
		p.fail(label, v, err.Error())
		return nil
	}
	return &n
}

func (p *parser) compression(label string) string {
	v, ok := p.labels[label]
	if !ok {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "zstd", "true", "yes", "1": // the Ruby tool's compress=true meant "compressed"
		return "zstd"
	case "gzip", "gz":
		return "gzip"
	case "none", "false", "no", "0":
		return "none"
	}
	p.fail(label, v, "must be zstd, gzip, none, true or false")
	return ""
}

// cronParser accepts what the agent schedules with: 5 fields or a descriptor.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a schedule as the agent does.
func ParseSchedule(expr string) (cron.Schedule, error) { return cronParser.Parse(expr) }

func (p *parser) schedule(label string) string {
	v := p.text(label)
	if v == "" {
		return ""
	}
	if _, err := ParseSchedule(v); err != nil {
		p.fail(label, v, fmt.Sprintf("not a 5-field cron expression or @daily-style descriptor (%v)", err))
	}
	return v
}

// verifySchedule reads baktainer.verify.schedule: a schedule, or off.
func (p *parser) verifySchedule() string {
	switch strings.ToLower(strings.TrimSpace(p.labels[VerifySchedule])) {
	case VerifyOff, "none", "false":
		return VerifyOff
	}
	return p.schedule(VerifySchedule)
}

// Known lists every label Parse reads, sorted.
func Known() []string {
	known := []string{All, Backup, Compress, Database, Engine, Name, OnStart, Password, PasswordFile,
		KeepCount, KeepDaily, KeepDays, KeepMonthly, KeepWeekly, Schedule, User, VerifySchedule, Volume,
		HookPre, HookPost, HookPostFailure, HookContainer, HookTimeout, HookAllow, StopDuringBackup, StopGroup,
		DumpOptions, Include, Exclude, Split, ScheduleOnce}
	sort.Strings(known)
	return known
}

// unknown warns about baktainer.* labels that baktainer does not read: most are
// typos, named with the nearest known label; the Ruby tool's labels that
// baktainer does not act on say what it does instead. The container is still
// backed up.
func (p *parser) unknown() {
	known := Known()
	for label := range p.labels {
		if !strings.HasPrefix(label, Prefix) || slices.Contains(known, label) {
			continue
		}
		if hint, ok := rubyIgnored[label]; ok {
			p.warn(label, hint)
			continue
		}
		if slices.Contains(Ruby(), label) {
			continue // read by pick
		}
		problem := "not a baktainer label (ignored)"
		if nearest, ok := parse.Closest(label, known); ok {
			problem += "; did you mean " + nearest + "?"
		}
		p.warn(label, problem)
	}
}
