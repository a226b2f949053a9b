package rig

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SecondDockerHost is the DOCKER_HOST of the second daemon the plugin tests
// start (scripts/second-dockerd.sh), so they can restart a daemon without
// touching the machine's main one, which other tests use at the same time.
const SecondDockerHost = "unix:///run/baktainer-test/docker.sock"

// RepoRoot returns the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Script runs scripts/NAME from the repository root with extra environment,
// failing the test with its output when it fails. It returns standard output.
func Script(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", name), args...)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scripts/%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// SecondDocker starts the second daemon (idempotent) and loads images into it
// from the main daemon (skipped when present). It returns its DOCKER_HOST.
func SecondDocker(t testing.TB, images ...string) string {
	t.Helper()
	Script(t, nil, "second-dockerd.sh", "start")
	if len(images) > 0 {
		Script(t, nil, "second-dockerd.sh", append([]string{"load"}, images...)...)
	}
	return SecondDockerHost
}

// RestartSecondDocker stops and starts the second daemon, as an operator's
// `systemctl restart docker` would.
func RestartSecondDocker(t testing.TB) {
	t.Helper()
	Script(t, nil, "second-dockerd.sh", "restart")
}

// Registry starts a local image registry on a free loopback port for the test
// (building it the first time, scripts/registry.sh) and returns its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	port := fmt.Sprint(FreePort(t))
	Script(t, nil, "registry.sh", "start", port)
	t.Cleanup(func() {
		_ = exec.Command(filepath.Join(RepoRoot(), "scripts", "registry.sh"), "stop", port).Run()
	})
	return "127.0.0.1:" + port
}

// FreePort returns a TCP port free on 127.0.0.1 right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DockerCLI runs the docker CLI against host and returns its standard output,
// failing the test with its standard error when it fails.
func DockerCLI(t testing.TB, host string, stdin string, args ...string) string {
	t.Helper()
	out, err := TryDockerCLI(host, stdin, args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// TryDockerCLI is DockerCLI returning the error, with the CLI's standard error in it.
func TryDockerCLI(host string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("docker", append([]string{"-H", host}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), err
}
