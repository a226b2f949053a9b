//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/bench/sqlgen"
	"github.com/baktainer/baktainer/store"
)

// storeSmallDisk mounts a tmpfs of size bytes (the tests run as root) and unmounts it
// when the test ends.
func storeSmallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs (the integration tests run as root): %v\n%s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// storeSnapshot maps every file under root to its SHA-256.
func storeSnapshot(t *testing.T, root string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, f := range storeFilesUnder(t, root) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = sha256.Sum256(data)
	}
	return out
}

func storeSameFiles(t *testing.T, root string, before map[string][32]byte) {
	t.Helper()
	after := storeSnapshot(t, root)
	for f, sum := range before {
		if got, ok := after[f]; !ok || got != sum {
			t.Errorf("%s changed or vanished", f)
		}
	}
	for f := range after {
		if _, ok := before[f]; !ok {
			t.Errorf("left behind: %s", f)
		}
	}
}

// TestStoreFullDiskFailsCleanly fills a small filesystem with a backup: the write
// fails with a clear error, its partial file is removed, and the archive already
// there stays byte for byte as it was. Then it sweeps the archive size across the
// last free bytes, so the disk also fills up while the sidecars are written.
func TestStoreFullDiskFailsCleanly(t *testing.T) {
	t.Parallel()
	disk := storeSmallDisk(t, "2m")
	existing := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(storeSQLDump(t, 21, 200<<10)), nil,
		"archive", "pack", "--dir", disk, "--name", "shop", "--ext", "sql"))
	before := storeSnapshot(t, disk)

	// Through the whole chain: zstd shrinks 8 MiB of SQL to about 2.7 MiB; age.
	big := storeSQLDump(t, 22, 8<<20)
	key := filepath.Join(t.TempDir(), "key.txt")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", key))
	res := storeCLI(t, bytes.NewReader(big), nil, "archive", "pack", "--dir", disk, "--name", "shop", "--ext", "sql", "--recipient", recipient)
	t.Logf("pack onto a full disk: %s", strings.TrimSpace(res.stderr))
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "no space left on device") {
		t.Fatalf("pack onto a full disk: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	storeSameFiles(t, disk, before)
	storeMustCLI(t, nil, nil, "verify", "--deep", existing)

	// The sweep, through the store's API (quicker than a process per size).
	var st unix.Statfs_t
	if err := unix.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	committed, failed, inSidecars := 0, 0, 0
	for size := free - 48<<10; size <= free+8<<10; size += 2 << 10 {
		p, err := store.Create(disk, store.Meta{Name: "shop", Engine: "postgres", Created: time.Now().Add(time.Hour)}, "sql",
			store.Options{Compression: store.None})
		if err != nil {
			failed++
			storeCheckNoSpace(t, err)
			storeSameFiles(t, disk, before)
			continue
		}
		_, err = io.Copy(p, io.LimitReader(sqlgen.Reader(uint64(size)), size))
		if err == nil {
			var path string
			if path, _, err = p.Commit(); err == nil {
				committed++
				if _, err := store.Verify(context.Background(), path); err != nil {
					t.Errorf("committed archive of %d bytes: %v", size, err)
				}
				for _, f := range []string{path, path + store.ChecksumExt, path + store.MetaExt} {
					_ = os.Remove(f)
				}
				storeSameFiles(t, disk, before)
				continue
			}
		}
		p.Abort()
		failed++
		if strings.Contains(err.Error(), store.ChecksumExt+"-") || strings.Contains(err.Error(), store.MetaExt+"-") {
			inSidecars++
		}
		storeCheckNoSpace(t, err)
		storeSameFiles(t, disk, before)
	}
	t.Logf("sweep over the last %d free bytes: %d archives fitted, %d failed cleanly (%d of them while writing a sidecar)",
		free, committed, failed, inSidecars)
	if committed == 0 || failed == 0 {
		t.Errorf("the sweep did not cross the point where the disk is full (%d fitted, %d failed)", committed, failed)
	}
	storeMustCLI(t, nil, nil, "verify", disk)
}

func storeCheckNoSpace(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %v, want one wrapping ENOSPC (no space left on device)", err)
	}
}

// TestStoreFreeSpaceFloorStopsANeverEndingDump writes a dump that never ends onto a
// small filesystem with a free-space floor (store.Options.MinFreeBytes): the write
// fails with a clear error before the floor is crossed by more than one check's
// worth, the partial file (and the directories it needed) are removed, and the
// archive already there is untouched.
func TestStoreFreeSpaceFloorStopsANeverEndingDump(t *testing.T) {
	t.Parallel()
	disk := storeSmallDisk(t, "24m")
	existing := storeCommitArchive(t, disk, "shop", time.Now().Add(-24*time.Hour), store.Options{})
	before := storeSnapshot(t, disk)
	const floor = 12 << 20
	p, err := store.Create(disk, store.Meta{Name: "cache", Engine: "redis"}, "rdb",
		store.Options{Compression: store.None, MinFreeBytes: floor})
	if err != nil {
		t.Fatal(err)
	}
	never := io.LimitReader(sqlgen.Reader(7), 1<<30) // far more than the disk holds
	_, err = io.Copy(p, never)
	var st unix.Statfs_t
	if serr := unix.Statfs(disk, &st); serr != nil {
		t.Fatal(serr)
	}
	lowest := st.Bavail * uint64(st.Bsize)
	p.Abort()
	t.Logf("the write stopped with: %v (free space at that point: %d bytes, floor %d)", err, lowest, floor)
	if !errors.Is(err, store.ErrLowSpace) || !strings.Contains(err.Error(), "below the floor") {
		t.Fatalf("a dump that never ends: %v; want store.ErrLowSpace", err)
	}
	// One check every MiB, behind a 256 KiB buffer: the floor is undershot by less.
	if lowest+(1<<20)+(256<<10) < floor {
		t.Errorf("free space fell to %d bytes, far below the floor of %d", lowest, floor)
	}
	storeSameFiles(t, disk, before)
	if entries, _ := os.ReadDir(disk); len(entries) != 1 {
		t.Errorf("the aborted write left %v in the root", entries)
	}
	if _, err := store.Verify(context.Background(), existing); err != nil {
		t.Error(err)
	}
	// Already below the floor: refused at once.
	if _, err := store.Create(disk, store.Meta{Name: "cache"}, "rdb", store.Options{MinFreeBytes: 1 << 40}); !errors.Is(err, store.ErrLowSpace) {
		t.Errorf("Create below the floor: %v", err)
	}
	storeSameFiles(t, disk, before)
}
