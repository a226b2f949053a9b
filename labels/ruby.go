package labels

import (
	"strings"

	"github.com/baktainer/baktainer/parse"
)

// The Ruby Baktainer's label schema (label_validator.rb) named some labels
// differently; baktainer reads them as the label it names them after, unless
// that label is set too.
const (
	RubyCompress  = "baktainer.backup.compress"        // = baktainer.compress
	RubyKeepDays  = "baktainer.backup.retention.days"  // = baktainer.retention.days
	RubyKeepCount = "baktainer.backup.retention.count" // = baktainer.retention.count
)

// Labels of the Ruby tool that baktainer accepts but does not act on: each with
// what baktainer does instead.
const (
	RubyPriority = "baktainer.backup.priority"
	RubyEncrypt  = "baktainer.backup.encrypt"
	RubyCommand  = "baktainer.command"
)

var rubyIgnored = map[string]string{
	RubyPriority: "baktainer has no backup priorities: each backup runs when its schedule says, BT_THREADS at a time (ignored)",
	RubyEncrypt: "baktainer does not encrypt per container: every archive is encrypted when BT_ENCRYPTION_RECIPIENTS or " +
		"BT_ENCRYPTION_PASSPHRASE is set, and none is when neither is (ignored)",
	RubyCommand: "baktainer dumps with the engine's own tool, never with a command from a label; commands around a backup are " +
		HookPre + " and " + HookPost + " (JSON argv arrays) (ignored)",
}

// Ruby lists the labels of the Ruby tool that baktainer reads under another name
// or accepts without acting on them, sorted.
func Ruby() []string {
	return []string{RubyCompress, RubyEncrypt, RubyPriority, RubyKeepCount, RubyKeepDays, RubyCommand}
}

// unquoted returns the labels with one pair of matching quotes taken off every
// baktainer.* value (baktainer.name's are MapBackupName's business), and a warning
// for each: docker-compose's list syntax (`- baktainer.db.name="app"`) keeps them.
func unquoted(in map[string]string) (map[string]string, []Warning) {
	out := make(map[string]string, len(in))
	var warnings []Warning
	for label, v := range in {
		if strings.HasPrefix(label, Prefix) && label != Name {
			var changed bool
			if v, changed = parse.Unquote(v); changed {
				warnings = append(warnings, Warning{Label: label, Problem: "its value is in one pair of quotes " +
					"(docker-compose's list syntax keeps them as part of the value): read without them"})
			}
		}
		out[label] = v
	}
	return out, warnings
}

// pick returns the label that holds a setting the Ruby schema named alias: label
// when it is set (alias is then ignored, with a warning if it says otherwise), else
// alias.
func (p *parser) pick(label, alias string) string {
	a, hasAlias := p.labels[alias]
	v, has := p.labels[label]
	switch {
	case !hasAlias:
		return label
	case !has:
		return alias
	}
	if strings.TrimSpace(a) != strings.TrimSpace(v) {
		p.warn(alias, "the Ruby Baktainer's name for "+label+", which is set too and wins (ignored)")
	}
	return label
}

// name reads baktainer.name and maps it to a name the store can use as a
// directory (parse.MapBackupName): a name in quotes, with spaces or other
// characters, or too long, is not refused, but the warning says the name used.
func (p *parser) name() string {
	v := p.text(Name)
	if v == "" {
		return ""
	}
	if u, _ := parse.Unquote(v); strings.TrimSpace(u) == "" {
		p.fail(Name, v, "is empty; remove the label or give it a value")
		return ""
	}
	name, changed := parse.MapBackupName(v)
	if !changed {
		return name
	}
	if u, _ := parse.Unquote(v); strings.TrimSpace(u) == name {
		p.warn(Name, "its value is in one pair of quotes (docker-compose's list syntax keeps them as part of the value): archives go under "+name)
	} else {
		p.warn(Name, "not usable as a directory name (letters, digits, '.', '_' and '-', at most 128): archives go under "+name+
			" (the mapping is in docs/MIGRATING.md)")
	}
	return name
}

// databases settles baktainer.db.name against baktainer.db.all as the Ruby tool's
// labels used them: db.name=* means every database; next to db.all=true, db.name is
// the database pg_dumpall connects to first, and ignored by the engines that have
// no such thing; sqlite's user, password and db.all are ignored (sqlite has none
// of them; the Ruby tool ignored them too).
func (p *parser) databases(s *Spec) {
	if s.Database == "*" && s.Engine != "sqlite" {
		if !s.All {
			p.warn(Database, "* means every database: read as "+All+"=true")
		}
		s.All, s.Database = true, ""
	}
	switch {
	case s.Engine == "sqlite":
		p.dropForSQLite(&s.User, User, "sqlite databases have no users (ignored)")
		p.dropForSQLite(&s.Password, Password, "sqlite databases have no passwords (ignored)")
		if s.All {
			p.warn(All, "sqlite backs up the one database file baktainer.db.name names (ignored)")
			s.All = false
		}
	case s.All && s.Database != "" && s.Engine != "postgres" && s.Engine != "":
		p.warn(Database, "ignored next to "+All+"=true: "+s.Engine+" dumps every database and connects to none first "+
			"(with postgres this label names the database pg_dumpall connects to)")
		s.Database = ""
	}
}

func (p *parser) dropForSQLite(field *string, label, problem string) {
	if *field != "" {
		p.warn(label, problem)
		*field = ""
	}
}
