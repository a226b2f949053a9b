// Package labels turns the baktainer.* labels of a container into a typed Spec. The
// names are those of the original Baktainer, plus a few new ones.
package labels

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
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
	Schedule     = "baktainer.schedule"        // new: 5-field cron or @daily-style descriptor
	OnStart      = "baktainer.backup.on_start" // new
	Volume       = "baktainer.volume"          // new: the backup volume for this container
	KeepDays     = "baktainer.retention.days"  // new: overrides BT_RETENTION_DAYS
	KeepCount    = "baktainer.retention.count" // new: overrides BT_RETENTION_COUNT
	KeepDaily    = "baktainer.retention.daily"
	KeepWeekly   = "baktainer.retention.weekly"
	KeepMonthly  = "baktainer.retention.monthly"
)

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
	Schedule     string
	OnStart      bool
	Volume       string
	Retention    Retention
}

// Retention holds the per-container overrides of the retention policy; nil: not set.
type Retention struct {
	Days, Count, Daily, Weekly, Monthly *int
}

// Error is one problem with one label. It never repeats the value of a secret label.
type Error struct {
	Label   string
	Value   string
	Problem string
}

func (e *Error) Error() string {
	if e.Value == "" || e.Label == Password {
		return fmt.Sprintf("label %s: %s", e.Label, e.Problem)
	}
	return fmt.Sprintf("label %s=%q: %s", e.Label, e.Value, e.Problem)
}

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
// for each problem found: it does not stop at the first, so a user fixes them all at once.
func Parse(labels map[string]string) (Spec, error) {
	p := parser{labels: labels}
	var s Spec
	s.Backup = p.boolean(Backup)
	if v, ok := labels[Engine]; ok {
		if s.Engine = CanonicalEngine(v); s.Engine == "" {
			p.fail(Engine, v, "is empty; use one of postgres, postgresql, mysql, mariadb, sqlite, mongodb, redis")
		}
	}
	s.Database = p.text(Database)
	s.User = p.text(User)
	s.Password = labels[Password]
	s.PasswordFile = p.text(PasswordFile)
	if s.PasswordFile != "" && !strings.HasPrefix(s.PasswordFile, "/") {
		p.fail(PasswordFile, s.PasswordFile, "must be an absolute path inside the container, e.g. /run/secrets/db_password")
	}
	s.All = p.boolean(All)
	s.Name = p.text(Name)
	if s.Name != "" && !validName(s.Name) {
		p.fail(Name, s.Name, "may hold only letters, digits, '.', '_' and '-', and must not start with '.'")
	}
	s.Compress = p.compression()
	s.Schedule = p.schedule()
	s.OnStart = p.boolean(OnStart)
	s.Volume = p.text(Volume)
	s.Retention = Retention{
		Days: p.count(KeepDays), Count: p.count(KeepCount),
		Daily: p.count(KeepDaily), Weekly: p.count(KeepWeekly), Monthly: p.count(KeepMonthly),
	}
	p.unknown()
	return s, errors.Join(p.errs...)
}

type parser struct {
	labels map[string]string
	errs   []error
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

func (p *parser) boolean(label string) bool {
	v, ok := p.labels[label]
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on":
		return true
	case "false", "no", "0", "off":
		return false
	}
	p.fail(label, v, "must be true or false")
	return false
}

func (p *parser) count(label string) *int {
	v, ok := p.labels[label]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		p.fail(label, v, "must be a whole number, 0 or more")
		return nil
	}
	return &n
}

func (p *parser) compression() string {
	v, ok := p.labels[Compress]
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
	p.fail(Compress, v, "must be zstd, gzip, none, true or false")
	return ""
}

// cronParser accepts what the agent schedules with: 5 fields or a descriptor.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a schedule as the agent does.
func ParseSchedule(expr string) (cron.Schedule, error) { return cronParser.Parse(expr) }

func (p *parser) schedule() string {
	v := p.text(Schedule)
	if v == "" {
		return ""
	}
	if _, err := ParseSchedule(v); err != nil {
		p.fail(Schedule, v, fmt.Sprintf("not a 5-field cron expression or @daily-style descriptor (%v)", err))
	}
	return v
}

var known = map[string]bool{
	Backup: true, Engine: true, Database: true, User: true, Password: true, PasswordFile: true,
	All: true, Name: true, Compress: true, Schedule: true, OnStart: true, Volume: true,
	KeepDays: true, KeepCount: true, KeepDaily: true, KeepWeekly: true, KeepMonthly: true,
}

// unknown reports baktainer.* labels that baktainer does not read: most are typos
// that would otherwise be silently ignored.
func (p *parser) unknown() {
	var names []string
	for label := range p.labels {
		if strings.HasPrefix(label, Prefix) && !known[label] {
			names = append(names, label)
		}
	}
	sort.Strings(names)
	for _, label := range names {
		p.fail(label, "", "unknown baktainer label (a typo?)")
	}
}

func validName(s string) bool {
	if s == "" || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
