package rig

import (
	"io"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// WaitRedis waits until the Redis test container's server answers (even if only
// to say that it wants a password).
func WaitRedis(t testing.TB, dc *docker.Client, name string) {
	t.Helper()
	WaitFor(t, dc, name, 60*time.Second, "redis-cli", "PING")
}

// RedisCLI runs redis-cli in the container with the password in REDISCLI_AUTH and
// returns its raw output; stdin may carry commands, one per line.
func RedisCLI(t testing.TB, dc *docker.Client, name, password string, stdin io.Reader, args ...string) string {
	t.Helper()
	return Exec(t, dc, name, stdin, []string{"REDISCLI_AUTH=" + password}, append([]string{"redis-cli", "--raw"}, args...)...)
}
