package plugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A consumer's mount of a volume is the engine's bind mount of the volume's
// mount point under the propagated mount, as the engine sees that mount point:
// through the copy mount propagation made of the plugin's bind mount. A mount's
// flags are copied into each copy when propagation makes it, and never again:
// a remount read-only after the bind would change only the plugin's own view,
// and every container would still write. So the plugin's bind mount is made with
// its flags already set, before it is attached under the propagated mount.

// stagePrefix names bindStaged's staging directories (no volume name starts with '.').
const stagePrefix = ".bind-"

// Bind implements Mounter.
func (m BindMounter) Bind(source, target string, readOnly bool) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("create mount point %s: %w", target, err)
	}
	var err error = unix.ENOSYS
	if !m.Staged {
		err = bindDetached(source, target, readOnly)
	}
	if errors.Is(err, unix.ENOSYS) { // Linux before 5.12
		err = bindStaged(source, target, readOnly)
	}
	if err != nil {
		return fmt.Errorf("bind-mount %s on %s: %w", source, target, err)
	}
	return nil
}

// bindDetached clones source into a mount attached nowhere (open_tree), sets
// its flags (mount_setattr), then attaches it at target (move_mount).
func bindDetached(source, target string, readOnly bool) error {
	fd, err := unix.OpenTree(unix.AT_FDCWD, source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(fd)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if readOnly {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// bindStaged does the same with the older calls: it binds source on a staging
// directory beside target and remounts that with the flags; a bind of it on
// target (and every copy propagation makes of that) inherits them. The staging
// mount then goes; one a crash left is removed at start (removeStaged).
func bindStaged(source, target string, readOnly bool) (err error) {
	stage, err := os.MkdirTemp(filepath.Dir(target), stagePrefix)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.Remove(stage)) }()
	if err := unix.Mount(source, stage, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind on %s: %w", stage, err)
	}
	defer func() { err = errors.Join(err, unix.Unmount(stage, unix.MNT_DETACH)) }()
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_NODEV)
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount("", stage, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", stage, err)
	}
	if err := unix.Mount(stage, target, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	return nil
}

// removeStaged removes the staging mounts and directories a crash inside
// bindStaged left under mountDir.
func removeStaged(m Mounter, mountDir string) {
	leftovers, _ := filepath.Glob(filepath.Join(mountDir, stagePrefix+"*"))
	for _, p := range leftovers {
		_ = m.Unmount(p)
		_ = os.Remove(p)
	}
}
