package rig

import (
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// WaitMariaDB waits until the server of a MariaDB or MySQL test container accepts
// TCP connections: the entrypoint's temporary init server listens on the socket
// only, so this waits for the real one. mysqladmin ping succeeds even when it is
// refused access, so no credentials are needed.
func WaitMariaDB(t testing.TB, dc *docker.Client, name string) {
	t.Helper()
	WaitFor(t, dc, name, 120*time.Second, "mysqladmin", "--protocol=tcp", "-h", "127.0.0.1", "ping")
}

// MySQL runs SQL in a MariaDB or MySQL container as user (the password in MYSQL_PWD)
// on database db (may be empty) and returns the client's batch output: tab-separated,
// no column names, special characters escaped.
func MySQL(t testing.TB, dc *docker.Client, name, user, password, db, sql string) string {
	t.Helper()
	cmd := []string{"mysql", "--default-character-set=utf8mb4", "-u", user, "--batch", "--skip-column-names"}
	if db != "" {
		cmd = append(cmd, db)
	}
	return Exec(t, dc, name, stringsReader(sql), []string{"MYSQL_PWD=" + password}, cmd...)
}
