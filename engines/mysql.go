package engines

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// MySQL dumps a MySQL (or MariaDB) server from inside its container with
// mariadb-dump where the image has it, else mysqldump, and restores with mariadb,
// else mysql. It connects through the server's local socket as root (or the
// image's MYSQL_USER when no root password is configured), the password in the
// MYSQL_PWD variable, never in argv.
type MySQL struct{}

// MariaDB is MySQL under the engine name mariadb: the tools, variables and dump
// format are the same; only its example uses the official mariadb image.
type MariaDB struct{ MySQL }

var (
	_ Engine = MySQL{}
	_ Engine = MariaDB{}
)

// Name implements Engine.
func (MySQL) Name() string { return "mysql" }

// Name implements Engine.
func (MariaDB) Name() string { return "mariadb" }

// Extension implements Engine.
func (MySQL) Extension() string { return "sql" }

// Validate implements Engine.
func (MySQL) Validate(spec labels.Spec) error {
	var errs []error
	if spec.All && spec.Database != "" {
		errs = append(errs, &labels.Error{Label: labels.Database, Value: spec.Database, Problem: "cannot be combined with baktainer.db.all=true"})
	}
	errs = append(errs, checkOptions("mysql and mariadb", spec.DumpOptions, mysqlDenied, mysqlOptionName))
	return errors.Join(errs...)
}

// The official images' variables: the mariadb image reads MARIADB_* first, then
// the MYSQL_* names the mysql image uses.
var (
	mysqlRootPasswordEnv = []string{"MARIADB_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"}
	mysqlUserEnv         = []string{"MARIADB_USER", "MYSQL_USER"}
	mysqlPasswordEnv     = []string{"MARIADB_PASSWORD", "MYSQL_PASSWORD"}
	mysqlDatabaseEnv     = []string{"MARIADB_DATABASE", "MYSQL_DATABASE"}
)

// Database implements Engine.
func (MySQL) Database(t Target) string {
	if t.Spec.All {
		return "all"
	}
	return pick(t, t.Spec.Database, labels.Database, "", mysqlDatabaseEnv...).Value
}

// Example implements Engine.
func (MySQL) Example() Example {
	return mysqlExample("mysql", "mysql:8.4", "MYSQL_")
}

// Example implements Engine.
func (MariaDB) Example() Example {
	return mysqlExample("mariadb", "mariadb:11", "MARIADB_")
}

func mysqlExample(engine, image, envPrefix string) Example {
	return Example{
		Comment: []string{
			engine + ", backed up by baktainer with mariadb-dump or mysqldump --single-transaction",
			"(baktainer.db.all: \"true\" for every database, users included). baktainer connects as",
			"root with the password from the image's own " + envPrefix + "ROOT_PASSWORD_FILE.",
		},
		Service: "db",
		Image:   image,
		Environment: map[string]string{
			envPrefix + "DATABASE":           "app",
			envPrefix + "ROOT_PASSWORD_FILE": SecretPath("db_root_password"),
		},
		Secrets: []string{"db_root_password"},
		DataDir: "/var/lib/mysql",
		Labels: map[string]string{
			labels.Backup:   "true",
			labels.Engine:   engine,
			labels.Database: "app",
		},
	}
}

// mysqlConn is how to reach the target's server.
type mysqlConn struct {
	user, database, password setting
}

// conn chooses the account: the label's user; else root when the image has a root
// password (or no other account); else the image's own MYSQL_USER. Root without a
// password works where the image lets root in through the unix socket (mariadb).
func (MySQL) conn(ctx context.Context, ex Execer, t Target) (mysqlConn, error) {
	env := t.Container.Env
	hasRootPassword := false
	for _, name := range mysqlRootPasswordEnv {
		hasRootPassword = hasRootPassword || env[name] != "" || env[name+"_FILE"] != ""
	}
	appUser := pick(t, "", "", "", mysqlUserEnv...)
	user := setting{"root", "default"}
	switch {
	case t.Spec.User != "":
		user = setting{t.Spec.User, "label " + labels.User}
	case !hasRootPassword && appUser.Value != "":
		user = appUser
	}
	var passwordEnv []string
	switch user.Value {
	case "root":
		passwordEnv = mysqlRootPasswordEnv
	case appUser.Value:
		passwordEnv = mysqlPasswordEnv
	}
	password, err := secret(ctx, ex, t, passwordEnv...)
	if err != nil {
		return mysqlConn{}, err
	}
	db := pick(t, t.Spec.Database, labels.Database, "", mysqlDatabaseEnv...)
	return mysqlConn{user: user, database: db, password: password}, nil
}

// env passes the password the way the MySQL and MariaDB clients read it.
func (c mysqlConn) env() []string {
	if c.password.Value == "" {
		return nil
	}
	return []string{"MYSQL_PWD=" + c.password.Value}
}

// Dump implements Engine.
func (m MySQL) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	c, err := m.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	if !t.Spec.All && c.database.Value == "" {
		return fmt.Errorf("container %s: label %s is missing and the container sets none of %v: name the database, or set %s=true",
			t.Container.Name, labels.Database, mysqlDatabaseEnv, labels.All)
	}
	tool, err := findTool(ctx, ex, t, engineOf(t, "mysql"), "mariadb-dump", "mysqldump")
	if err != nil {
		return err
	}
	// utf8mb4 end to end, so 4-byte characters survive whatever the client defaults to;
	// --hex-blob so binary columns survive any character set.
	// Values travel as --option=value, the database after "--": never read as options.
	cmd := []string{tool, "--user=" + c.user.Value, "--default-character-set=utf8mb4",
		"--single-transaction", "--routines", "--triggers", "--events", "--hex-blob"}
	// baktainer.db.options go before what is dumped: after "--" every word is a name.
	cmd = append(cmd, t.Spec.DumpOptions...)
	what := "database " + c.database.String()
	switch {
	case t.Spec.All && selects(t):
		args, err := m.mysqlSelectionArgs(ctx, ex, t, c)
		if err != nil {
			return err
		}
		cmd = append(cmd, args...)
		what = "the databases labels " + labels.Include + " and " + labels.Exclude + " select"
	case t.Spec.All:
		cmd = append(cmd, "--all-databases", "--flush-privileges")
		what = "every database (label " + labels.All + ")"
	default:
		// Tablespaces are server-wide; dumping them needs the PROCESS privilege,
		// which an application user rarely has.
		cmd = append(cmd, "--no-tablespaces", "--", c.database.Value)
	}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdout: w})
	if err != nil {
		return redact(fmt.Errorf("container %s: %s of %s as user %s, password from %s: %w",
			t.Container.Name, tool, what, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value, c.database.Value)...)
	}
	return nil
}

// Restore implements Engine. A dump of every database names its databases itself;
// a dump of one goes into the target's database (label or image variable), else
// into the database it was taken from. The client stops at the first error.
func (m MySQL) Restore(ctx context.Context, rt Runtime, t Target, r io.Reader) error {
	c, err := m.conn(ctx, rt, t)
	if err != nil {
		return err
	}
	in := bufio.NewReaderSize(r, 64<<10)
	head, _ := in.Peek(recordSize)
	if !mysqlHeader.Match(head) {
		return fmt.Errorf("container %s: restore: the archive does not start like a mysqldump or mariadb-dump dump", t.Container.Name)
	}
	dumped, single := mysqlRestoredDatabase(head)
	client, err := findTool(ctx, rt, t, engineOf(t, "mysql"), "mariadb", "mysql")
	if err != nil {
		return err
	}
	cmd := []string{client, "--user=" + c.user.Value, "--default-character-set=utf8mb4"}
	if single {
		if c.database.Value == "" {
			c.database = setting{dumped, "the dump's header"}
		}
		cmd = append(cmd, "--database="+c.database.Value)
	}
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Env: c.env(), Stdin: in, Stdout: io.Discard})
	if err != nil {
		return redact(fmt.Errorf("container %s: %s restore into database %s as user %s, password from %s: %w",
			t.Container.Name, client, c.database, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value, c.database.Value)...)
	}
	return nil
}

var (
	// "-- MySQL dump 10.13  Distrib 8.0.36" or "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB".
	mysqlHeader = regexp.MustCompile(`(?m)^-- (MySQL|MariaDB) dump `)
	// "-- Host: localhost    Database: app"; empty for --all-databases.
	mysqlDatabaseLine = regexp.MustCompile(`(?m)^-- Host: .*Database: (.*)$`)
	// The last line: "-- Dump completed on 2024-05-01 12:00:00" (or without the date).
	mysqlFooter = []byte("-- Dump completed")
)

// mysqlCurrentDatabase starts each database's section of a dump that creates
// its databases itself (--databases, --all-databases).
var mysqlCurrentDatabase = []byte("\n-- Current Database: `")

// mysqlRestoredDatabase is the database a restore of a dump starting with head
// connects to first, and whether there is one: a dump of one database's
// objects goes into the one its header names; a dump that creates and USEs its
// databases (--databases names the first in its header too) into none.
func mysqlRestoredDatabase(head []byte) (string, bool) {
	if bytes.Contains(head, mysqlCurrentDatabase) {
		return "", false
	}
	return mysqlDumpedDatabase(head)
}

// mysqlDumpedDatabase returns the database a dump's header names, and whether it
// names one (false for a dump of every database).
func mysqlDumpedDatabase(head []byte) (string, bool) {
	m := mysqlDatabaseLine.FindSubmatch(head)
	if m == nil {
		return "", false
	}
	name := string(bytes.TrimSpace(m[1]))
	return name, name != ""
}

// CheckComplete implements Engine.
func (MySQL) CheckComplete(head, tail []byte) error {
	if !mysqlHeader.Match(head) {
		return fmt.Errorf("%w: no mysqldump or mariadb-dump header at the start", ErrIncomplete)
	}
	if !bytes.Contains(tail, mysqlFooter) {
		return fmt.Errorf("%w: no %q footer at the end (cut short?)", ErrIncomplete, mysqlFooter)
	}
	return nil
}
