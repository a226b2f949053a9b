package rig

import (
	"testing"

	"github.com/baktainer/baktainer/docker"
)

// SQLiteUser is the unprivileged account (Debian's nobody:nogroup) the SQLite tests
// keep their databases under, so that files created as root would stand out.
const SQLiteUser = "65534:65534"

// SQLite runs SQL with the sqlite3 tool on the database file db in the container,
// as SQLiteUser, stopping at the first error, and returns its output.
func SQLite(t testing.TB, dc *docker.Client, name, db, sql string) string {
	t.Helper()
	return Exec(t, dc, name, stringsReader(sql), nil, AsSQLiteUser("sqlite3", "-bail", "-cmd", ".timeout 10000", db)...)
}

// AsSQLiteUser wraps cmd to run as SQLiteUser (rig.Exec runs as root).
func AsSQLiteUser(cmd ...string) []string {
	return append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, cmd...)
}
