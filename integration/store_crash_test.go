//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/bench/sqlgen"
	"github.com/baktainer/baktainer/store"
)

// storeKillIterations bounds the test's run time (about a second per ten kills).
const storeKillIterations = 45

// TestStoreKillDuringPackLeavesNothingThatLooksGood kills `baktainer archive pack`
// (a real process, SIGKILL) at random points, many times: while it starts, while
// it streams, and in the middle of its commit (just after its first sidecar
// appears). After every kill, `list` must show only complete archives, and nothing
// else on disk may pass `verify`. At the end, Cleanup removes every leftover.
func TestStoreKillDuringPackLeavesNothingThatLooksGood(t *testing.T) {
	t.Parallel()
	bin := storeBinary(t)
	root := t.TempDir()
	key := filepath.Join(t.TempDir(), "key.txt")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", key))
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	complete := map[string]bool{} // sha256 of every input that was packed in full
	checked := map[string]bool{}  // archives already read back
	var outcomes struct{ committed, tempLeft, sidecarsLeft, nothing int }
	for i := 0; i < storeKillIterations; i++ {
		size := rng.Int64N(6 << 20)
		input, err := io.ReadAll(io.LimitReader(sqlgen.Reader(seed+uint64(i)), size))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(input)
		complete[hex.EncodeToString(sum[:])] = true

		args := []string{"archive", "pack", "--dir", root, "--name", "shop", "--ext", "sql"}
		if i%2 == 0 {
			args = append(args, "--recipient", recipient)
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdin = bytes.NewReader(input)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if i%3 == 2 {
			storeKillAtFirstSidecar(t, cmd, root)
		} else {
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(120 * time.Millisecond))))
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}

		switch listed, stray := storeCheckAfterKill(t, root, complete, checked, key); {
		case listed:
			outcomes.committed++
		case slices.ContainsFunc(stray, storeIsSidecar):
			outcomes.sidecarsLeft++
		case len(stray) > 0:
			outcomes.tempLeft++
		default:
			outcomes.nothing++
		}
	}
	t.Logf("after %d kills: %d committed in time, %d left a temp file, %d left sidecars of an unnamed archive, %d left nothing",
		storeKillIterations, outcomes.committed, outcomes.tempLeft, outcomes.sidecarsLeft, outcomes.nothing)
	if outcomes.tempLeft == 0 || outcomes.sidecarsLeft == 0 {
		t.Errorf("the kills did not land both mid-stream and mid-commit: %+v", outcomes)
	}

	if _, err := store.Cleanup(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	archives, err := store.List(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, a := range archives {
		want[a.Path], want[a.Path+store.ChecksumExt], want[a.Path+store.MetaExt] = true, true, true
	}
	for _, f := range storeFilesUnder(t, root) {
		if !want[f] {
			t.Errorf("Cleanup left %s", f)
		}
	}
	storeMustCLI(t, nil, nil, "verify", root) // every archive good, no stray file
}

// storeKillAtFirstSidecar starts cmd and SIGKILLs it as soon as a sidecar is renamed
// into today's directory: the moment between the sidecars and the archive's own
// rename, the commit's most delicate point. It returns once cmd has ended.
func storeKillAtFirstSidecar(t *testing.T, cmd *exec.Cmd, root string) {
	t.Helper()
	day := filepath.Join(root, "shop", time.Now().UTC().Format("2006-01-02"))
	if err := os.MkdirAll(day, 0o750); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, day, unix.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		// Wake the read below, should the process end without renaming a sidecar.
		_ = os.WriteFile(filepath.Join(day, ".wake"), nil, 0o600)
		_ = os.Rename(filepath.Join(day, ".wake"), filepath.Join(day, ".woken"))
		close(exited)
	}()
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		names := storeInotifyNames(buf[:n])
		if strings.Contains(names, store.ChecksumExt) || strings.Contains(names, store.MetaExt) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
		if strings.Contains(names, ".woken") {
			break
		}
	}
	<-exited
	_ = os.Remove(filepath.Join(day, ".woken"))
}

func storeInotifyNames(buf []byte) string {
	var names []string
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		nameLen := int(uint32(buf[off+12]) | uint32(buf[off+13])<<8 | uint32(buf[off+14])<<16 | uint32(buf[off+15])<<24)
		name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+nameLen]
		names = append(names, string(bytes.TrimRight(name, "\x00")))
		off += unix.SizeofInotifyEvent + nameLen
	}
	return strings.Join(names, " ")
}

func storeIsSidecar(path string) bool {
	return strings.HasSuffix(path, store.ChecksumExt) || strings.HasSuffix(path, store.MetaExt)
}

// storeCheckAfterKill asserts what a kill may leave: `list` shows only archives that
// verify deeply and hold an input in full; every other file fails `verify`. It
// reports whether a new archive was listed, and the stray files.
func storeCheckAfterKill(t *testing.T, root string, complete, checked map[string]bool, key string) (newArchive bool, stray []string) {
	t.Helper()
	var listed []struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal([]byte(storeMustCLI(t, nil, nil, "list", root, "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	isListed := map[string]bool{}
	for _, a := range listed {
		isListed[a.Path], isListed[a.Path+store.ChecksumExt], isListed[a.Path+store.MetaExt] = true, true, true
		if checked[a.Path] {
			continue
		}
		checked[a.Path], newArchive = true, true
		storeMustCLI(t, nil, nil, "verify", "--deep", a.Path, "--identity", key)
		content := storeMustCLI(t, nil, nil, "archive", "unpack", a.Path, "--identity", key)
		sum := sha256.Sum256([]byte(content))
		if !complete[hex.EncodeToString(sum[:])] {
			t.Fatalf("list shows %s, which holds %d bytes that are no complete input", a.Path, len(content))
		}
	}
	var others []string
	for _, f := range storeFilesUnder(t, root) {
		if !isListed[f] {
			others = append(others, f)
		}
	}
	if len(others) > 0 {
		res := storeCLI(t, nil, nil, append([]string{"verify", "--deep", "--identity", key}, others...)...)
		if res.code == 0 || strings.Contains(res.stdout, "OK ") {
			t.Fatalf("a leftover passes verify:\n%s", res.stdout)
		}
	}
	return newArchive, others
}

func storeFilesUnder(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
