// Package rig is the integration tests' access to the real Docker engine: it connects
// (failing, never skipping, when no daemon answers), starts throwaway containers from
// the images scripts/build-db-images.sh builds, and runs commands in them.
package rig

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
)

// The test images, built by `make images`.
const (
	PostgresImage = "baktainer-test/postgres:15"
	MariaDBImage  = "baktainer-test/mariadb:10.11"
	MySQLImage    = "baktainer-test/mysql:10.11-mysqlclient"
	RedisImage    = "baktainer-test/redis:7"
	SQLiteImage   = "baktainer-test/sqlite:3"
	TinyImage     = "baktainer-test/tiny:latest"
)

// RunLabel is put on every container a test starts, with the test's RunID as value, so
// an agent under test can be scoped to its own containers on a shared engine.
const RunLabel = "com.baktainer-test.run"

// Docker connects to the engine. A missing daemon fails the test: `make test`
// starts one, so its absence is a broken rig, not a reason to skip.
func Docker(t testing.TB) *docker.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dc, err := docker.Connect(ctx)
	if err != nil {
		t.Fatalf("integration tests need a Docker engine (run `make test`, which starts one): %v", err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	return dc
}

// RunID returns a random identifier for names and the RunLabel.
func RunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ContainerSpec describes a test container.
type ContainerSpec struct {
	Name   string // a random suffix is added
	Image  string
	Env    []string
	Labels map[string]string
	Cmd    []string
	Binds  []string
	Keep   bool // do not remove at the end of the test
}

// Start creates and starts a container with no network (tests reach it through the
// API only) and removes it when the test ends. It returns the container's name.
func Start(t testing.TB, dc *docker.Client, spec ContainerSpec) string {
	t.Helper()
	ctx := context.Background()
	name := spec.Name + "-" + RunID()
	created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       name,
		Config:     &container.Config{Image: spec.Image, Env: spec.Env, Labels: spec.Labels, Cmd: spec.Cmd},
		HostConfig: &container.HostConfig{NetworkMode: "none", Binds: spec.Binds},
	})
	if err != nil {
		t.Fatalf("create container from %s: %v (did `make images` run?)", spec.Image, err)
	}
	if !spec.Keep {
		t.Cleanup(func() { Remove(dc, name) })
	}
	if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start container %s: %v", name, err)
	}
	return name
}

// Remove force-removes a container and its anonymous volumes, ignoring errors.
func Remove(dc *docker.Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = dc.API().ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
}

// Exec runs cmd in the container with stdin and returns its standard output,
// failing the test when it exits non-zero.
func Exec(t testing.TB, dc *docker.Client, name string, stdin io.Reader, env []string, cmd ...string) string {
	t.Helper()
	out, err := TryExec(dc, name, stdin, env, cmd...)
	if err != nil {
		t.Fatalf("exec %v in %s: %v", cmd, name, err)
	}
	return out
}

// TryExec is Exec returning the error.
func TryExec(dc *docker.Client, name string, stdin io.Reader, env []string, cmd ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := dc.Exec(ctx, docker.ExecSpec{Container: name, Cmd: cmd, Env: env, Stdin: stdin, Stdout: &out})
	return out.String(), err
}

// WaitFor runs cmd until it succeeds, failing the test after timeout; it returns
// early with the container's logs when the container stops.
func WaitFor(t testing.TB, dc *docker.Client, name string, timeout time.Duration, cmd ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if _, lastErr = TryExec(dc, name, nil, nil, cmd...); lastErr == nil {
			return
		}
		c, err := dc.Inspect(context.Background(), name)
		if err == nil && !c.Running {
			t.Fatalf("container %s stopped while waiting for %v; logs:\n%s", name, cmd, Logs(name))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%v in %s did not succeed within %s: %v; logs:\n%s", cmd, name, timeout, lastErr, Logs(name))
}

// Logs returns the tail of a container's logs, for failure messages.
func Logs(name string) string {
	out, _ := exec.Command("docker", "logs", "--tail", "40", name).CombinedOutput()
	return string(out)
}

// Tool returns the path of a stock command-line tool the tests compare against
// (zstd, age, sha256sum...), failing the test when `make test` did not install it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("stock tool %s is missing (scripts/ensure-tools.sh installs it): %v", name, err)
	}
	return p
}

// Run runs a host command and returns its standard output, failing the test with its
// standard error when it fails.
func Run(t testing.TB, stdin io.Reader, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// ListFiles returns every file under dir, for "nothing was left behind" checks.
func ListFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("list %s: %v", dir, err)
	}
	return files
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
