//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// TestAgentFreeSpaceFloorStopsANeverEndingDump (issue 11.4), with the real
// engine: a container's dump that would never end (here 1 GiB) onto a 32 MiB
// file system. With the default floor (BT_FREE_SPACE_FLOOR=auto: the smaller of
// 1 GiB and 5% of the file system) the agent's backup stops before the disk is
// full, fails as a storage error naming the setting, and leaves nothing behind:
// the file system keeps its room for everything else.
func TestAgentFreeSpaceFloorStopsANeverEndingDump(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	disk := storeSmallDisk(t, "32m")
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_BACKUP_DIR": disk, "BT_STATE_DIR": t.TempDir(),
		"BT_COMPRESSION": "none", "BT_BACKUP_RETRIES": "0"}, reg)
	endless := rig.Start(t, dc, rig.ContainerSpec{Name: "floor-endless", Image: rig.TinyImage,
		Labels: standinLabels(run, dumpBytesLabel, "1073741824", dumpSecondsLabel, "20")})
	waitUntil(t, 20*time.Second, func() string { return endless + " not registered" }, func() bool { _, ok := ta.target(endless); return ok })
	att, err := ta.RunNow(endless)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, func() string { return "no finished backup of " + endless }, func() bool {
		return len(ta.attempts(att.Name)) > 0
	})
	done := ta.attempts(att.Name)[0]
	t.Logf("the backup ended: %s [%s] %s", done.Outcome, done.ErrorKind, done.Error)
	if done.Outcome != agent.Failed || done.ErrorKind != agent.KindStorage ||
		!strings.Contains(done.Error, "below the floor") || !strings.Contains(done.Error, "BT_FREE_SPACE_FLOOR") {
		t.Fatalf("a dump larger than the disk: %s [%s] %s; want a storage failure at the floor, naming BT_FREE_SPACE_FLOOR",
			done.Outcome, done.ErrorKind, done.Error)
	}
	if entries, _ := os.ReadDir(disk); len(entries) != 0 {
		t.Errorf("the stopped backup left %v on the disk", entries)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	if free := st.Bavail * uint64(st.Bsize); free < 30<<20 {
		t.Errorf("after the stopped backup %d bytes are free on the 32 MiB disk", free)
	}
}
