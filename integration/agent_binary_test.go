//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// buildBaktainer builds the real baktainer binary once per test run, into a fixed
// cache path (rebuilt, incrementally, by every run).
var buildBaktainer = sync.OnceValues(func() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(file))
	// One cache per work tree: test runs of other clones on this machine must not
	// swap the binary under this one.
	sum := sha256.Sum256([]byte(repo))
	dir := filepath.Join(os.TempDir(), "baktainer-itest-bin-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "baktainer")
	cmd := exec.Command("go", "build", "-tags", "nosystemd", "-o", bin, "./cmd/baktainer")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string {
	return "go build ./cmd/baktainer: " + e.err.Error() + "\n" + e.out
}

func baktainerBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildBaktainer()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runBaktainer runs the binary to completion with env added and returns its output
// and exit code.
func runBaktainer(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, baktainerBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("baktainer %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
