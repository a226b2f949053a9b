package engines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baktainer/baktainer/labels"
)

// Part is one archive of a split backup (baktainer.db.split=true): a database,
// or the server-wide objects a database dump leaves out (Postgres roles and
// tablespaces). Its Target dumps it alone with the engine's Dump, and restores
// alone with its Restore.
type Part struct {
	// Name tells the part apart in the archive's name: the database, or
	// "globals" for the server-wide objects.
	Name   string
	Target Target
}

// GlobalsPart is the Name of the part that holds a server's roles and
// tablespaces.
const GlobalsPart = "globals"

// onePart is the target of one database of t: its labels as if baktainer.db.name
// named it, the choice of databases gone.
func onePart(t Target, db string) Part {
	spec := t.Spec
	spec.All, spec.Database, spec.Include, spec.Exclude, spec.Split = false, db, nil, nil, false
	return Part{Name: db, Target: Target{Container: t.Container, Spec: spec}}
}

// selectedParts lists one part per database of names that t's
// baktainer.db.include and baktainer.db.exclude select; none selected is an
// error naming what the server has.
func selectedParts(t Target, names []string) ([]Part, error) {
	selected, err := selectDatabases(t, names)
	if err != nil {
		return nil, err
	}
	parts := make([]Part, 0, len(selected))
	for _, db := range selected {
		parts = append(parts, onePart(t, db))
	}
	return parts, nil
}

// selectDatabases is the databases of names t's include and exclude select.
func selectDatabases(t Target, names []string) ([]string, error) {
	selected := labels.MatchDatabases(names, t.Spec.Include, t.Spec.Exclude)
	if len(selected) == 0 {
		return nil, fmt.Errorf("container %s: labels %s=%q and %s=%q select none of its databases (%s)", t.Container.Name,
			labels.Include, strings.Join(t.Spec.Include, ","), labels.Exclude, strings.Join(t.Spec.Exclude, ","), strings.Join(names, ", "))
	}
	return selected, nil
}

// selects reports whether t's labels choose among the databases (include or
// exclude), so a dump of every database must list them first.
func selects(t Target) bool { return t.Spec.Include != nil || t.Spec.Exclude != nil }

// noSelection refuses the choice of databases for an engine whose dump holds
// one database (or one dataset).
func noSelection(engine string, spec labels.Spec, why string) error {
	var errs []error
	for _, l := range []struct {
		label string
		set   bool
	}{{labels.Include, spec.Include != nil}, {labels.Exclude, spec.Exclude != nil}, {labels.Split, spec.Split}} {
		if l.set {
			errs = append(errs, &labels.Error{Label: l.label, Problem: "is not supported for " + engine + ": " + why})
		}
	}
	return errors.Join(errs...)
}

// Split implements Inspector for engines whose dump holds one database or one
// dataset.
func (Uninspected) Split(context.Context, Execer, Target) ([]Part, error) {
	return nil, ErrNotSupported
}

// pgExcludePattern is a pg_dumpall --exclude-database pattern matching name
// exactly: in double quotes every character is literal (a quote doubled).
func pgExcludePattern(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// pgSelectionArgs are the pg_dumpall options that leave out the databases t's
// include and exclude do not select, and template1 (a template, never listed
// for a choice, which pg_dumpall would dump otherwise).
func (p Postgres) pgSelectionArgs(ctx context.Context, ex Execer, t Target, c pgConn) ([]string, error) {
	names, err := p.databases(ctx, ex, t, c, nil)
	if err != nil {
		return nil, err
	}
	selected, err := selectDatabases(t, names)
	if err != nil {
		return nil, err
	}
	args := []string{"--exclude-database=" + pgExcludePattern("template1")}
	for _, n := range names {
		if !slices.Contains(selected, n) {
			args = append(args, "--exclude-database="+pgExcludePattern(n))
		}
	}
	return args, nil
}

// Split implements Inspector: the roles and tablespaces (pg_dumpall
// --globals-only), then each selected database (pg_dump).
func (p Postgres) Split(ctx context.Context, ex Execer, t Target) ([]Part, error) {
	c, err := p.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	names, err := p.databases(ctx, ex, t, c, nil)
	if err != nil {
		return nil, err
	}
	parts, err := selectedParts(t, names)
	if err != nil {
		return nil, err
	}
	globals := t
	globals.GlobalsOnly = true
	globals.Spec.Include, globals.Spec.Exclude, globals.Spec.Split = nil, nil, false
	return append([]Part{{Name: GlobalsPart, Target: globals}}, parts...), nil
}

// mysqlNotDumped are the schemas a dump of every database leaves out.
var mysqlNotDumped = []string{"information_schema", "performance_schema", "sys"}

// mysqlDatabases lists the databases a dump of every database holds: the
// server's, but the schemas it computes (mysql, with the accounts, is one).
func (m MySQL) mysqlDatabases(ctx context.Context, ex Execer, t Target, c mysqlConn) ([]string, error) {
	client, err := findTool(ctx, ex, t, engineOf(t, "mysql"), "mariadb", "mysql")
	if err != nil {
		return nil, err
	}
	out, err := query(ctx, ex, t, c.env(), "", "SELECT HEX(schema_name) FROM information_schema.schemata ORDER BY schema_name;\n",
		client, "--user="+c.user.Value, "--default-character-set=utf8mb4", "--batch", "--skip-column-names")
	if err != nil {
		return nil, redact(fmt.Errorf("container %s: list the databases with %s: %w", t.Container.Name, client, err),
			secretsOf(t, c.password, c.user.Value)...)
	}
	var names []string
	for _, line := range strings.Fields(out) {
		name := unhex(line)
		if name == "" && line != "" {
			return nil, fmt.Errorf("container %s: list the databases: unexpected line %.80q", t.Container.Name, line)
		}
		if !slices.Contains(mysqlNotDumped, strings.ToLower(name)) {
			names = append(names, name)
		}
	}
	return names, nil
}

// Split implements Inspector: each selected database (mysql, holding the
// accounts, is one).
func (m MySQL) Split(ctx context.Context, ex Execer, t Target) ([]Part, error) {
	c, err := m.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	names, err := m.mysqlDatabases(ctx, ex, t, c)
	if err != nil {
		return nil, err
	}
	return selectedParts(t, names)
}

// mysqlSelectionArgs are the options that dump the databases t selects,
// instead of --all-databases.
func (m MySQL) mysqlSelectionArgs(ctx context.Context, ex Execer, t Target, c mysqlConn) ([]string, error) {
	names, err := m.mysqlDatabases(ctx, ex, t, c)
	if err != nil {
		return nil, err
	}
	selected, err := selectDatabases(t, names)
	if err != nil {
		return nil, err
	}
	args := []string{"--databases"}
	if slices.Contains(selected, "mysql") {
		args = append(args, "--flush-privileges")
	}
	return append(append(args, "--"), selected...), nil
}
