package plugin

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mounter makes a volume's directory appear under the propagated mount.
// Implementations must be safe to call from one goroutine at a time (Volumes
// serialises them).
type Mounter interface {
	// Bind bind-mounts source onto target, creating target when missing, so
	// that every container that mounts target gets it read-only when readOnly
	// is set, and never with set-user-ID or device files working.
	Bind(source, target string, readOnly bool) error
	// Unmount removes the mount at target. Containers that mounted the volume
	// keep their own copies of the mount, so this never cuts one off.
	Unmount(target string) error
	// Mounted reports whether something is mounted at target.
	Mounted(target string) (bool, error)
}

// BindMounter is the real Mounter: Linux bind mounts, which need CAP_SYS_ADMIN
// (the plugin's config.json asks for it). Bind is in bind.go.
type BindMounter struct {
	// Staged makes Bind use the older kernels' way (bindStaged) even where the
	// new mount API exists; tests set it to try that way too.
	Staged bool
}

var _ Mounter = BindMounter{}

// Unmount implements Mounter. A busy mount (a process inside the plugin using
// it) is detached lazily instead of failing the container's stop.
func (BindMounter) Unmount(target string) error {
	err := unix.Unmount(target, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(target, unix.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, unix.EINVAL) { // EINVAL: not a mount point
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove mount point %s: %w", target, err)
	}
	return nil
}

// Mounted implements Mounter by reading /proc/self/mountinfo.
func (BindMounter) Mounted(target string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	defer f.Close()
	return mountedIn(bufio.NewScanner(f), target)
}

// mountedIn scans mountinfo lines for a mount point equal to target. The mount
// point is the fifth field, with spaces and the like escaped as \ooo.
func mountedIn(sc *bufio.Scanner, target string) (bool, error) {
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && unescapeMountinfo(fields[4]) == target {
			return true, nil
		}
	}
	return false, sc.Err()
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
