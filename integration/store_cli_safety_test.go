//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/store"
)

// The commands under bad input and mistakes (issue #10): each case runs the real
// binary the way a user would.

// TestStoreCLICleanupSparesForeignFiles is issue #10's repro: prune and archive pack
// used to remove any *.json and *.sha256 under the directory, dot-directories too.
func TestStoreCLICleanupSparesForeignFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	storeWriteFile(t, root, "package.json", "{}\n")
	if err := os.Mkdir(filepath.Join(root, ".config"), 0o750); err != nil {
		t.Fatal(err)
	}
	storeWriteFile(t, filepath.Join(root, ".config"), "s.json", "{}\n")
	storeWriteFile(t, root, "SHA256SUMS.sha256", "x\n")
	before := storeSnapshot(t, root)

	storeMustCLI(t, nil, nil, "prune", root)
	storeMustCLI(t, strings.NewReader("dump"), nil, "archive", "pack", "--dir", root, "--name", "shop")
	after := storeSnapshot(t, root)
	for f, sum := range before {
		if got, ok := after[f]; !ok || got != sum {
			t.Errorf("%s was removed or changed", f)
		}
	}
}

// TestStoreCLIPruneIgnoresAPlantedArchive: an archive dated 2099, with sidecars that
// match it, is reported and left alone; prune --count 1 keeps the real newest.
func TestStoreCLIPruneIgnoresAPlantedArchive(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now().UTC()
	var real []string
	for i := 2; i >= 0; i-- {
		real = append(real, storeCommitArchive(t, root, "shop", now.Add(-time.Duration(i)*time.Hour), store.Options{}))
	}
	planted := storeCommitArchive(t, root, "shop", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), store.Options{})

	res := storeCLI(t, nil, nil, "prune", root, "--count", "1")
	t.Logf("prune: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	if _, err := os.Stat(real[2]); err != nil {
		t.Errorf("prune --count 1 removed the real newest archive: %v", err)
	}
	for _, p := range real[:2] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s stays: %v", p, err)
		}
	}
	if _, err := os.Stat(planted); err != nil {
		t.Errorf("the planted archive was removed: %v", err)
	}
	if res.code != 1 || !strings.Contains(res.stderr, planted) || !strings.Contains(res.stderr, "future") {
		t.Errorf("prune did not report the planted archive: exit %d, stderr %s", res.code, res.stderr)
	}
}

// TestStoreCLIUsageAndBadDirectories: negative numbers are usage errors; a missing
// directory is an error; a linked root is resolved once, with or without --name;
// one garbage .json is reported by itself while the rest is listed and pruned.
func TestStoreCLIUsageAndBadDirectories(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	root := filepath.Join(work, "real")
	now := time.Now().UTC()
	var shop []string
	for i := 3; i >= 0; i-- {
		shop = append(shop, storeCommitArchive(t, root, "shop", now.Add(-time.Duration(i)*time.Hour), store.Options{}))
	}

	for _, flag := range []string{"--count", "--days", "--daily", "--weekly", "--monthly"} {
		res := storeCLI(t, nil, nil, "prune", root, flag, "-5")
		if res.code != 2 || !strings.Contains(res.stderr, flag) {
			t.Errorf("prune %s -5: exit %d, %s; want a usage error (2) naming the flag", flag, res.code, res.stderr)
		}
	}
	missing := filepath.Join(work, "missing")
	for _, cmd := range [][]string{{"list", missing}, {"list", missing, "--json"}, {"prune", missing}, {"prune", missing, "--name", "shop"}} {
		res := storeCLI(t, nil, nil, cmd...)
		if res.code != 1 || !strings.Contains(res.stderr, missing) || !strings.Contains(res.stderr, "does not exist") {
			t.Errorf("%v: exit %d, %s; want exit 1 saying the directory does not exist", cmd, res.code, res.stderr)
		}
	}

	link := filepath.Join(work, "link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	listed := storeMustCLI(t, nil, nil, "list", link)
	for _, p := range shop {
		if !strings.Contains(listed, filepath.Base(p)) {
			t.Errorf("list of a linked root does not show %s:\n%s", p, listed)
		}
	}
	dry := storeMustCLI(t, nil, nil, "prune", link, "--count", "2", "--dry-run")
	dryName := storeMustCLI(t, nil, nil, "prune", link, "--count", "2", "--dry-run", "--name", "shop")
	if strings.Count(dry, "would remove") != 2 || dry != dryName {
		t.Errorf("prune of a linked root, without and with --name:\n%s\n---\n%s", dry, dryName)
	}

	garbage := shop[1]
	storeWriteFile(t, filepath.Dir(garbage), filepath.Base(garbage)+store.MetaExt, "garbage, not json")
	res := storeCLI(t, nil, nil, "list", root)
	if res.code != 1 || !strings.Contains(res.stderr, garbage) || !strings.Contains(res.stdout, filepath.Base(shop[3])) {
		t.Errorf("list with one garbage .json: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	res = storeCLI(t, nil, nil, "list", root, "--json")
	var arr []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &arr); err != nil || len(arr) != 3 || !strings.Contains(res.stderr, garbage) {
		t.Errorf("list --json with one garbage .json: exit %d, %d archives (%v)\nstdout %s\nstderr %s", res.code, len(arr), err, res.stdout, res.stderr)
	}
	res = storeCLI(t, nil, nil, "prune", root, "--count", "1")
	if res.code != 1 || !strings.Contains(res.stderr, garbage) {
		t.Errorf("prune with one garbage .json: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for i, p := range shop {
		_, err := os.Stat(p)
		if kept := i == 1 || i == 3; kept != (err == nil) {
			t.Errorf("after prune --count 1, %s exists=%v, want %v\n%s", p, err == nil, kept, res.stdout)
		}
	}
}

// TestStoreCLIPackChecksEngineAndCompleteness: an unknown --engine is a usage error
// naming the known ones; with --engine postgres, an empty or cut dump is not
// committed (as a backup's would not be).
func TestStoreCLIPackChecksEngineAndCompleteness(t *testing.T) {
	t.Parallel()
	dump := append(storeSQLDump(t, 31, 64<<10), storePGFooter...)
	for _, tc := range []struct {
		name  string
		input []byte
		args  []string
		code  int
		want  string
	}{
		{"unknown engine", dump, []string{"--engine", "oracle"}, 2, "postgres"},
		{"empty dump", nil, []string{"--engine", "postgres"}, 1, "not complete"},
		{"cut dump", dump[:len(dump)/2], []string{"--engine", "postgres"}, 1, "not complete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := storeCLI(t, bytes.NewReader(tc.input), nil, append([]string{"archive", "pack", "--dir", dir, "--name", "shop", "--ext", "sql"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", res.code, res.stderr, tc.code, tc.want)
			}
			if files := storeFilesUnder(t, dir); len(files) != 0 {
				t.Errorf("a refused pack left %v", files)
			}
		})
	}
	dir := t.TempDir()
	storeMustCLI(t, bytes.NewReader(dump), nil, "archive", "pack", "--dir", dir, "--name", "shop", "--ext", "sql", "--engine", "postgres")
}

// TestStoreCLIUnpackRefusesEmptyStreams: a 0-byte or cut .zst/.gz fails as `zstd -d`
// and `gzip -d` do.
func TestStoreCLIUnpackRefusesEmptyStreams(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, comp := range []string{"zstd", "gzip"} {
		packed := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(storeSQLDump(t, 41, 256<<10)), nil,
			"archive", "pack", "--dir", dir, "--name", "shop-"+comp, "--ext", "sql", "--compress", comp))
		raw, err := os.ReadFile(packed)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{0, len(raw) / 2} {
			lone := filepath.Join(t.TempDir(), filepath.Base(packed)) // no sidecars
			if err := os.WriteFile(lone, raw[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			res := storeCLI(t, nil, nil, "archive", "unpack", lone)
			if res.code != 1 {
				t.Errorf("unpack of a %s stream cut to %d bytes: exit %d, %d bytes out, %s", comp, cut, res.code, len(res.stdout), res.stderr)
			}
			tool := exec.Command(comp, "-d", "-c", lone)
			if tool.Run() == nil {
				t.Errorf("stock %s -d accepts the %d-byte file too: the comparison is void", comp, cut)
			}
		}
	}
}

// TestStoreCLIStopsPromptly: verify on a FIFO with sidecars does not hang, and a
// command blocked on its input stops on SIGTERM or SIGINT.
func TestStoreCLIStopsPromptly(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	empty := storeCommitArchive(t, root, "shop", time.Now().Add(-time.Hour), store.Options{Compression: store.None})
	// An archive of 0 bytes whose file becomes a FIFO: its sidecars still match.
	emptyData := storeCommitEmpty(t, root, "cache")
	if err := os.Remove(emptyData); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(emptyData, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"verify", emptyData}, {"verify", root}, {"verify", "--deep", emptyData}, {"list", root}, {"prune", root, "--count", "1"}} {
		res, took := storeCLITimed(t, 20*time.Second, nil, 0, args...)
		t.Logf("%v: exit %d after %s\n%s%s", args, res.code, took.Round(time.Millisecond), res.stdout, res.stderr)
		if took > 10*time.Second {
			t.Errorf("%v blocked on a FIFO", args)
		}
	}
	res, _ := storeCLITimed(t, 20*time.Second, nil, 0, "verify", emptyData)
	if res.code != 1 || !strings.Contains(res.stdout, "FIFO") {
		t.Errorf("verify of a FIFO: exit %d, %s", res.code, res.stdout)
	}
	if _, err := os.Stat(empty); err != nil {
		t.Error(err)
	}

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		dir := t.TempDir()
		res, took := storeCLITimed(t, 20*time.Second, sig, time.Second, "archive", "pack", "--dir", dir, "--name", "shop")
		t.Logf("pack from an idle input, %v after 1 s: exit %d after %s: %s", sig, res.code, took.Round(time.Millisecond), res.stderr)
		if took > 6*time.Second || res.code == 0 {
			t.Errorf("pack did not stop promptly on %v: exit %d after %s", sig, res.code, took)
		}
		if files := storeFilesUnder(t, dir); len(files) != 0 {
			t.Errorf("an interrupted pack left %v", files)
		}
	}
}

// storeCommitEmpty commits an archive of an empty dump, uncompressed: a 0-byte file.
func storeCommitEmpty(t *testing.T, root, name string) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Engine: "redis"}, "rdb", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// storeCLITimed runs baktainer with an input that never ends nor sends anything;
// with sig set it sends sig after delay. It kills the process after limit, and
// returns what it did and how long it took.
func storeCLITimed(t *testing.T, limit time.Duration, sig os.Signal, delay time.Duration, args ...string) (storeCLIResult, time.Duration) {
	t.Helper()
	stdinR, stdinW, err := os.Pipe() // the write end stays open: a read blocks
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	cmd := exec.Command(storeBinary(t), args...)
	cmd.Stdin = stdinR
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if sig != nil {
		select {
		case err = <-done:
			return storeResult(stdout, stderr, err), time.Since(start)
		case <-time.After(delay):
			_ = cmd.Process.Signal(sig)
		}
	}
	select {
	case err = <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		err = <-done
	}
	return storeResult(stdout, stderr, err), time.Since(start)
}

func storeResult(stdout, stderr bytes.Buffer, err error) storeCLIResult {
	res := storeCLIResult{stdout: stdout.String(), stderr: stderr.String()}
	if exitErr, ok := err.(*exec.ExitError); ok {
		res.code = exitErr.ExitCode()
		if res.code < 0 {
			res.code = 128 + int(exitErr.Sys().(syscall.WaitStatus).Signal())
		}
	}
	return res
}
