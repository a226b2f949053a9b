//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/baktainer/baktainer/bench/sqlgen"
)

var storeBin struct {
	once sync.Once
	path string
	err  error
}

// storeBinary builds the baktainer command once per test run, for the tests that
// drive the store through the CLI as a user (or a crash) would. It goes into a
// directory of its checkout's own: test runs of other checkouts may build at the
// same time.
// BAKTAINER_STORE_TEST_BIN names a prebuilt binary instead (to run these tests
// against another version, e.g. to see a new test fail on the old code).
func storeBinary(t testing.TB) string {
	t.Helper()
	storeBin.once.Do(func() {
		if prebuilt := os.Getenv("BAKTAINER_STORE_TEST_BIN"); prebuilt != "" {
			storeBin.path = prebuilt
			return
		}
		checkout, err := filepath.Abs("..")
		if storeBin.err = err; err != nil {
			return
		}
		sum := sha256.Sum256([]byte(checkout))
		dir := filepath.Join(os.TempDir(), "baktainer-store-test-"+hex.EncodeToString(sum[:6]))
		if storeBin.err = os.MkdirAll(dir, 0o755); storeBin.err != nil {
			return
		}
		storeBin.path = filepath.Join(dir, "baktainer")
		cmd := exec.Command("go", "build", "-tags", "nosystemd", "-o", storeBin.path, "./cmd/baktainer")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			storeBin.err = errors.New("go build ./cmd/baktainer: " + err.Error() + "\n" + string(out))
		}
	})
	if storeBin.err != nil {
		t.Fatal(storeBin.err)
	}
	return storeBin.path
}

// storeCLIResult is what one run of the baktainer command did.
type storeCLIResult struct {
	stdout, stderr string
	code           int
}

// storeCLI runs baktainer with args, stdin and extra environment variables.
func storeCLI(t testing.TB, stdin io.Reader, env []string, args ...string) storeCLIResult {
	t.Helper()
	cmd := exec.Command(storeBinary(t), args...)
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := storeCLIResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run baktainer %v: %v", args, err)
	}
	return res
}

// storeMustCLI is storeCLI failing the test on a non-zero exit.
func storeMustCLI(t testing.TB, stdin io.Reader, env []string, args ...string) string {
	t.Helper()
	res := storeCLI(t, stdin, env, args...)
	if res.code != 0 {
		t.Fatalf("baktainer %s: exit %d\nstdout: %.2000s\nstderr: %s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// storeSQLDump returns size bytes of generated SQL dump text (see bench/sqlgen).
func storeSQLDump(t testing.TB, seed uint64, size int64) []byte {
	t.Helper()
	data, err := io.ReadAll(io.LimitReader(sqlgen.Reader(seed), size))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// storePGFooter is what pg_dump writes last: with it, a generated dump passes the
// Postgres engine's completeness check.
const storePGFooter = "\n--\n-- PostgreSQL database dump complete\n--\n\n"

// storeWriteFile writes content to name in dir, readable by its owner only.
func storeWriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
