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
// it streams, and in the middle of its commit (just after its .json appears, and
// just after the archive's rename, before its .sha256). After every kill, `list`
// must show only complete archives, nothing else on disk may pass `verify`, and
// `sha256sum -c *.sha256` must pass in every directory. At the end, Cleanup
// removes every leftover and finishes the commits that only lacked their .sha256.
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
	var outcomes struct{ committed, tempLeft, sidecarsLeft, unfinished, nothing int }
	var unfinished []string // archives a kill left without their .sha256
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
		switch i % 6 {
		case 2, 5:
			storeKillAtRename(t, cmd, root, storeIsSidecar) // the commit's first step
		case 4:
			storeKillAtRename(t, cmd, root, storeIsArchiveName) // between the archive and its .sha256
		default:
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(120 * time.Millisecond))))
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}

		storeChecksumsHold(t, root)
		switch listed, stray := storeCheckAfterKill(t, root, complete, checked, key); {
		case listed:
			outcomes.committed++
		case slices.ContainsFunc(stray, storeIsArchiveName):
			outcomes.unfinished++
			for _, f := range stray {
				if storeIsArchiveName(f) {
					unfinished = append(unfinished, f)
				}
			}
		case slices.ContainsFunc(stray, storeIsSidecar):
			outcomes.sidecarsLeft++
		case len(stray) > 0:
			outcomes.tempLeft++
		default:
			outcomes.nothing++
		}
	}
	t.Logf("after %d kills: %d committed in time, %d left a temp file, %d left a .json of an unnamed archive, %d an archive without its .sha256, %d left nothing",
		storeKillIterations, outcomes.committed, outcomes.tempLeft, outcomes.sidecarsLeft, outcomes.unfinished, outcomes.nothing)
	// The .json's rename is followed at once by the archive's: a kill seldom lands
	// between the two (the unit tests plant that leftover), so only "mid-commit" is
	// required.
	if outcomes.tempLeft == 0 || outcomes.sidecarsLeft+outcomes.unfinished == 0 {
		t.Errorf("the kills did not land both mid-stream and mid-commit: %+v", outcomes)
	}

	if _, err := store.Cleanup(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	storeChecksumsHold(t, root)
	archives, err := store.List(context.Background(), root)
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
	// The next pack's cleanup, or the last one, finished each interrupted commit.
	for _, f := range unfinished {
		if !want[f] {
			t.Errorf("the commit of %s, killed before its .sha256, was not finished", f)
		}
	}
	storeMustCLI(t, nil, nil, "verify", root) // every archive good, no stray file
}

// storeKillAtRename starts cmd and SIGKILLs it as soon as a file whose name match
// accepts is renamed into today's directory: a sidecar (the commit's first step) or
// the archive itself (just before its .sha256, the last step). It returns once cmd
// has ended.
func storeKillAtRename(t *testing.T, cmd *exec.Cmd, root string, match func(string) bool) {
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
		if slices.ContainsFunc(names, match) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
		if slices.Contains(names, ".woken") {
			break
		}
	}
	<-exited
	_ = os.Remove(filepath.Join(day, ".woken"))
}

func storeInotifyNames(buf []byte) []string {
	var names []string
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		nameLen := int(uint32(buf[off+12]) | uint32(buf[off+13])<<8 | uint32(buf[off+14])<<16 | uint32(buf[off+15])<<24)
		name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+nameLen]
		names = append(names, string(bytes.TrimRight(name, "\x00")))
		off += unix.SizeofInotifyEvent + nameLen
	}
	return names
}

func storeIsSidecar(path string) bool {
	return strings.HasSuffix(path, store.ChecksumExt) || strings.HasSuffix(path, store.MetaExt)
}

// storeIsArchiveName tells an archive's final name from a sidecar's or temp file's.
func storeIsArchiveName(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "shop-") && !storeIsSidecar(base)
}

// storeChecksumsHold runs the README's own check, `sha256sum -c *.sha256`, in every
// date directory under root: no .sha256 may ever be there without its archive.
func storeChecksumsHold(t *testing.T, root string) {
	t.Helper()
	sums, err := filepath.Glob(filepath.Join(root, "*", "*", "*"+store.ChecksumExt))
	if err != nil {
		t.Fatal(err)
	}
	byDir := map[string][]string{}
	for _, s := range sums {
		byDir[filepath.Dir(s)] = append(byDir[filepath.Dir(s)], filepath.Base(s))
	}
	for dir, files := range byDir {
		cmd := exec.Command("sha256sum", append([]string{"-c", "--quiet"}, files...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c *.sha256 in %s: %v\n%s", dir, err, out)
		}
	}
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
