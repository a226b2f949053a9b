package legacy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// RestoreArchive restores a Ruby-era archive into target through eng. It verifies
// the whole archive first (Open): one that is damaged, changed, or does not
// authenticate with the keys given restores nothing. It returns what verifying
// established.
func RestoreArchive(ctx context.Context, rt engines.Runtime, eng engines.Engine, target engines.Target, a Archive, keys []Key) (Report, error) {
	d, err := Open(ctx, a, keys)
	if err != nil {
		return Report{}, err
	}
	defer d.Close()
	if !sameFormat(d.Report.Engine, eng.Name()) {
		return d.Report, fmt.Errorf("%s: a %s dump cannot be restored into a %s database", a.Path, d.Report.Engine, eng.Name())
	}
	return d.Report, Restore(ctx, rt, eng, target, d)
}

// sameFormat reports whether a dump of engine dumped can be loaded by engine into
// (MySQL and MariaDB share their dump format); an unknown engine is not refused
// here: the engine's own restore checks the dump's first bytes.
func sameFormat(dumped, into string) bool {
	mysqlish := func(e string) bool { return e == "mysql" || e == "mariadb" }
	dumped = labels.CanonicalEngine(dumped)
	return dumped == "" || dumped == into || mysqlish(dumped) && mysqlish(into)
}

// Restore loads the plain dump of a Ruby-era archive (what Open returns) into
// target. Postgres, MySQL and MariaDB dumps are the current engines' formats and go
// to eng.Restore as they are. An SQLite dump is sqlite3's .dump text, while the
// SQLite engine restores a database file: it is first run through the target
// container's own sqlite3 into a new database file under /tmp, which eng.Restore
// then restores (checked with PRAGMA integrity_check, copied in under SQLite's
// locks). The Ruby tool's MongoDB backups hold no data and are refused.
func Restore(ctx context.Context, rt engines.Runtime, eng engines.Engine, target engines.Target, dump io.Reader) error {
	// A dump that fails part way must end the command reading it, not leave it
	// waiting for more.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dump = cancelOnError{dump, cancel}
	switch eng.Name() {
	case "sqlite":
		return restoreSQLiteText(ctx, rt, eng, target, dump)
	case "mongodb":
		return errors.New("the Ruby tool's mongodb backups cannot be restored: it saved mongodump's standard output, and mongodump wrote the data to a directory inside the container instead")
	}
	return eng.Restore(ctx, rt, target, dump)
}

// cancelOnError cancels the restore's context when the dump fails to read.
type cancelOnError struct {
	r      io.Reader
	cancel context.CancelCauseFunc
}

func (c cancelOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.cancel(err)
	}
	return n, err
}

// sqliteFileMagic starts every SQLite database file.
var sqliteFileMagic = []byte("SQLite format 3\x00")

// restoreSQLiteText builds a database file from .dump text inside the target
// container, then restores that file through the engine.
func restoreSQLiteText(ctx context.Context, rt engines.Runtime, eng engines.Engine, target engines.Target, dump io.Reader) error {
	in := bufio.NewReaderSize(dump, 64<<10)
	if head, _ := in.Peek(len(sqliteFileMagic)); bytes.Equal(head, sqliteFileMagic) {
		return eng.Restore(ctx, rt, target, in) // already a database file
	}
	name := target.Container.Name
	staged := "/tmp/baktainer-legacy-" + randomHex() + ".sqlite"
	defer removeStaged(ctx, rt, target, staged)
	err := rt.Exec(ctx, docker.ExecSpec{Container: target.Container.ID, Cmd: []string{"sqlite3", "-bail", staged}, Stdin: in, Stdout: io.Discard})
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = cause
		}
		return fmt.Errorf("container %s: build a database from the sqlite3 .dump with sqlite3 %s: %w", name, staged, err)
	}
	pr, pw := io.Pipe()
	streamed := make(chan error, 1)
	go func() {
		err := rt.Exec(ctx, docker.ExecSpec{Container: target.Container.ID, Cmd: []string{"cat", "--", staged}, Stdout: pw})
		pw.CloseWithError(err)
		streamed <- err
	}()
	err = eng.Restore(ctx, rt, target, pr)
	pr.CloseWithError(errors.New("legacy: restore ended"))
	catErr := <-streamed
	if err != nil {
		return err
	}
	if catErr != nil {
		return fmt.Errorf("container %s: read back %s: %w", name, staged, catErr)
	}
	return nil
}

// removeStaged deletes the staged file, with its own deadline so that a cancelled
// restore still cleans up.
func removeStaged(ctx context.Context, rt engines.Runtime, target engines.Target, path string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = rt.Exec(ctx, docker.ExecSpec{Container: target.Container.ID, Cmd: []string{"rm", "-f", "--", path}})
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
