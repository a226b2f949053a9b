//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/plugin"
)

// TestBindMounterFlagsReachPropagatedCopies: the engine mounts a volume into
// containers from its side of the propagated mount, a copy that mount
// propagation made of the plugin's bind mount. BindMounter's flags (read-only
// unless consumers=rw; nosuid, nodev) must be on that copy, with the new mount
// API and with the older kernels' way. Real mounts, in a shared mount and its
// peer under a temp directory (root; no Docker).
func TestBindMounterFlagsReachPropagatedCopies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		m        plugin.BindMounter
		readOnly bool
	}{
		{"detached read-only", plugin.BindMounter{}, true},
		{"detached writable", plugin.BindMounter{}, false},
		{"staged read-only", plugin.BindMounter{Staged: true}, true},
		{"staged writable", plugin.BindMounter{Staged: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, plug, engine := filepath.Join(dir, "data"), filepath.Join(dir, "plugin-side"), filepath.Join(dir, "engine-side")
			for _, d := range []string{src, plug, engine} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// plug is a shared mount and engine its peer, as the propagated mount
			// is inside the plugin and on the host.
			mount(t, plug, plug, unix.MS_BIND)
			mount(t, "", plug, unix.MS_SHARED)
			mount(t, plug, engine, unix.MS_BIND)

			if err := tc.m.Bind(src, filepath.Join(plug, "vol"), tc.readOnly); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tc.m.Unmount(filepath.Join(plug, "vol")) })
			var st unix.Statfs_t
			if err := unix.Statfs(filepath.Join(engine, "vol"), &st); err != nil {
				t.Fatal(err)
			}
			if got := st.Flags&unix.ST_RDONLY != 0; got != tc.readOnly {
				t.Errorf("the engine's copy is read-only: %v, want %v (flags %#x)", got, tc.readOnly, st.Flags)
			}
			if st.Flags&unix.ST_NOSUID == 0 || st.Flags&unix.ST_NODEV == 0 {
				t.Errorf("the engine's copy lacks nosuid or nodev (flags %#x)", st.Flags)
			}
			err := os.WriteFile(filepath.Join(engine, "vol", "planted"), nil, 0o644)
			if tc.readOnly != (err != nil) {
				t.Errorf("write through the engine's copy: %v", err)
			}
			if err := os.WriteFile(filepath.Join(src, "archive"), nil, 0o644); err != nil {
				t.Errorf("the plugin cannot write through its data mount: %v", err)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(plug, ".bind-*")); len(leftovers) != 0 {
				t.Errorf("staging left behind: %v", leftovers)
			}
		})
	}
}

// mount mounts and unmounts at the end of the test (lazily: peers first).
func mount(t *testing.T, source, target string, flags uintptr) {
	t.Helper()
	if err := unix.Mount(source, target, "", flags, ""); err != nil {
		t.Fatalf("mount %s on %s (%#x): %v", source, target, flags, err)
	}
	if flags&unix.MS_BIND != 0 {
		t.Cleanup(func() { _ = unix.Unmount(target, unix.MNT_DETACH) })
	}
}
