package rig

import (
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// StartPostgres starts a container from the Postgres test image and waits until the
// server accepts TCP connections (the image's temporary init server does not, so this
// waits for the real one).
func StartPostgres(t testing.TB, dc *docker.Client, spec ContainerSpec) string {
	t.Helper()
	spec.Image = PostgresImage
	name := Start(t, dc, spec)
	WaitFor(t, dc, name, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	return name
}

// Psql runs SQL in a Postgres container as user on database db through the local
// socket and returns psql's unaligned, tuples-only output.
func Psql(t testing.TB, dc *docker.Client, name, user, db, sql string, env ...string) string {
	t.Helper()
	return Exec(t, dc, name, stringsReader(sql), env,
		"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-U", user, "-d", db)
}
