package engines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// SQLite backs up one database file, named by baktainer.db.name, from inside the
// container that uses it, with that container's sqlite3 command-line tool.
//
// A dump is a consistent snapshot of the live database, taken with VACUUM INTO in
// one read transaction (so writers may carry on; the sqlite3 .backup command would
// restart from scratch whenever another process writes), into a temporary file
// under /tmp in the container, streamed out with cat and then removed. Commands run
// as the owner of the database file, so no -wal or -shm file ends up owned by
// someone the application cannot write as.
//
// A restore writes the dump to a temporary file beside the database, checks it with
// PRAGMA integrity_check, and copies it into the database with sqlite3's .restore
// (the online backup API): under SQLite's own locks, in one transaction, so
// connections that have the file open see the new content, and -wal/-shm files stay
// consistent. Renaming a file over the database instead would leave open
// connections on the old file and let a stale -wal be replayed onto the new one.
type SQLite struct{}

var _ Engine = SQLite{}

// Name implements Engine.
func (SQLite) Name() string { return "sqlite" }

// Extension implements Engine.
func (SQLite) Extension() string { return "sqlite" }

// Validate implements Engine.
func (SQLite) Validate(spec labels.Spec) error {
	var errs []error
	fail := func(label, value, problem string) {
		errs = append(errs, &labels.Error{Label: label, Value: value, Problem: problem})
	}
	switch db := spec.Database; {
	case db == "":
		fail(labels.Database, "", "is required for sqlite: the database file's absolute path inside the container, e.g. /data/app.db")
	case !strings.HasPrefix(db, "/"):
		fail(labels.Database, db, "must be the database file's absolute path inside the container, e.g. /data/app.db")
	case strings.ContainsAny(db, "'\n\r\x00"):
		fail(labels.Database, db, "must not contain quotes or line breaks (sqlite3's dot-commands take it quoted)")
	}
	if spec.All {
		fail(labels.All, "true", "sqlite backs up one database file; remove this label")
	}
	errs = append(errs, noOptions("sqlite", spec, "baktainer snapshots the file with VACUUM INTO, which takes no options"),
		noSelection("sqlite", spec, "a sqlite backup is one database file"))
	for _, label := range []struct {
		name string
		set  bool
	}{{labels.User, spec.User != ""}, {labels.Password, spec.Password != ""}, {labels.PasswordFile, spec.PasswordFile != ""}} {
		if label.set {
			fail(label.name, "", "sqlite databases have no users or passwords; remove this label")
		}
	}
	return errors.Join(errs...)
}

// Database implements Engine.
func (SQLite) Database(t Target) string { return t.Spec.Database }

// Example implements Engine.
func (SQLite) Example() Example {
	return Example{
		Comment: []string{
			"An application that keeps its data in an SQLite file. baktainer runs the sqlite3",
			"command-line tool inside this container, so the image needs it (Debian: apt-get",
			"install sqlite3; Alpine: apk add sqlite), plus stat, cat, dd and rm (coreutils or busybox).",
		},
		Service: "app",
		Image:   "your-app-image:latest",
		DataDir: "/data",
		Labels: map[string]string{
			labels.Backup:   "true",
			labels.Engine:   "sqlite",
			labels.Database: "/data/app.db",
		},
	}
}

// sqliteURI opens path read-write without creating it, so a wrong path is an error
// instead of a new, empty database.
func sqliteURI(p string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p) + "?mode=rw"
}

// busyTimeout makes sqlite3 wait for a writer's lock instead of failing at once.
var busyTimeout = []string{"-bail", "-cmd", ".timeout 60000"}

// target returns the database path, failing when the label is missing (a restore
// target is not checked by Validate).
func (SQLite) target(t Target) (string, error) {
	if err := (SQLite{}).Validate(labels.Spec{Database: t.Spec.Database}); err != nil {
		return "", fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	return t.Spec.Database, nil
}

// Dump implements Engine.
func (s SQLite) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	db, err := s.target(t)
	if err != nil {
		return err
	}
	if _, err := findTool(ctx, ex, t, "sqlite", "sqlite3"); err != nil {
		return err
	}
	owner, err := s.owner(ctx, ex, t, db)
	if err != nil {
		return err
	}
	snapshot := tempName("/tmp/baktainer-", ".sqlite")
	defer removeQuietly(ctx, ex, t, owner, snapshot)
	cmd := append([]string{"sqlite3"}, busyTimeout...)
	cmd = append(cmd, sqliteURI(db), "VACUUM INTO '"+snapshot+"'")
	if err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, User: owner}); err != nil {
		return fmt.Errorf("container %s: label %s=%q: sqlite3 VACUUM INTO %s: %w", t.Container.Name, labels.Database, db, snapshot, err)
	}
	check := &sqliteCheck{}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"cat", "--", snapshot}, User: owner,
		Stdout: io.MultiWriter(w, check)})
	if err != nil {
		return fmt.Errorf("container %s: label %s=%q: stream the snapshot %s: %w", t.Container.Name, labels.Database, db, snapshot, err)
	}
	if err := check.complete(); err != nil {
		return fmt.Errorf("container %s: label %s=%q: snapshot: %w", t.Container.Name, labels.Database, db, err)
	}
	return nil
}

// owner returns "uid:gid" of the database file, failing clearly when it is not there.
func (SQLite) owner(ctx context.Context, ex Execer, t Target, db string) (string, error) {
	owner, err := fileOwner(ctx, ex, t, db)
	if notStarted(err) {
		return "", missingTool(t, "sqlite", "stat")
	}
	if err != nil {
		return "", fmt.Errorf("container %s: label %s=%q: no database file there: %w", t.Container.Name, labels.Database, db, err)
	}
	return owner, nil
}

// Restore implements Engine.
func (s SQLite) Restore(ctx context.Context, rt Runtime, t Target, r io.Reader) error {
	db, err := s.target(t)
	if err != nil {
		return err
	}
	if _, err := findTool(ctx, rt, t, "sqlite", "sqlite3"); err != nil {
		return err
	}
	// New files belong to the database's owner, or to its directory's for a new database.
	owner, err := fileOwner(ctx, rt, t, db)
	if err != nil {
		if owner, err = s.owner(ctx, rt, t, path.Dir(db)); err != nil {
			return err
		}
	}
	staged := path.Join(path.Dir(db), tempName("."+path.Base(db)+".baktainer-restore-", ""))
	defer removeQuietly(ctx, rt, t, owner, staged)
	check := &sqliteCheck{}
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"dd", "of=" + staged, "bs=65536"}, User: owner,
		Stdin: io.TeeReader(r, check)})
	if err != nil {
		return fmt.Errorf("container %s: write %s: %w", t.Container.Name, staged, err)
	}
	if err := check.complete(); err != nil {
		return fmt.Errorf("container %s: restore: the archive is not a whole SQLite database: %w", t.Container.Name, err)
	}
	verdict, err := output(ctx, rt, t, nil, owner, "sqlite3", "-bail", staged, "PRAGMA integrity_check")
	if err != nil || verdict != "ok" {
		return fmt.Errorf("container %s: restore: PRAGMA integrity_check of the restored copy says %q: %v", t.Container.Name, verdict, err)
	}
	cmd := append([]string{"sqlite3"}, busyTimeout...)
	cmd = append(cmd, db, ".restore '"+staged+"'")
	if err := rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, User: owner}); err != nil {
		return fmt.Errorf("container %s: label %s=%q: sqlite3 .restore: %w", t.Container.Name, labels.Database, db, err)
	}
	return nil
}

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// CheckComplete implements Engine. The size check is sqliteCheck's, in Dump: it
// needs the length of the whole stream.
func (SQLite) CheckComplete(head, _ []byte) error {
	if len(head) < sqliteHeaderSize || string(head[:len(sqliteMagic)]) != string(sqliteMagic) {
		return fmt.Errorf("%w: does not start with the SQLite header", ErrIncomplete)
	}
	return nil
}
