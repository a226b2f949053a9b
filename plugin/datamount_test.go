package plugin

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The propagated mount remembers the data mount: after an upgrade that brings
// back config.json's default source, the plugin refuses instead of starting a
// second, empty set of volumes.
func TestCheckDataMount(t *testing.T) {
	mounts := t.TempDir() // the propagated mount: outlives disable, upgrade
	first, other := t.TempDir(), t.TempDir()

	if err := CheckDataMount(first, mounts); err != nil {
		t.Fatalf("first start: %v", err)
	}
	marker, err := os.ReadFile(filepath.Join(first, dataMarker))
	if err != nil {
		t.Fatalf("no identity on the data mount: %v", err)
	}
	if err := CheckDataMount(first, mounts); err != nil {
		t.Fatalf("a restart on the same data mount: %v", err)
	}

	// The upgrade's default source: an empty directory, or another baktainer one.
	err = CheckDataMount(other, mounts)
	if !errors.Is(err, ErrDataMountChanged) || !strings.Contains(err.Error(), "not a baktainer data directory yet") ||
		!strings.Contains(err.Error(), "docker plugin set PLUGIN data.source=DIR") {
		t.Fatalf("another, empty data mount: %v", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Fatalf("the refused data mount was written to: %v", entries)
	}
	if err := CheckDataMount(other, t.TempDir()); err != nil { // a fresh install there
		t.Fatal(err)
	}
	if err := CheckDataMount(other, mounts); !errors.Is(err, ErrDataMountChanged) || !strings.Contains(err.Error(), "another baktainer data directory") {
		t.Fatalf("another baktainer data mount: %v", err)
	}

	// The data copied elsewhere on purpose carries its identity: accepted.
	moved := t.TempDir()
	if err := os.WriteFile(filepath.Join(moved, dataMarker), marker, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckDataMount(moved, mounts); err != nil {
		t.Fatalf("the data moved with its identity: %v", err)
	}
	// A reinstall (the propagated mount is gone with the old plugin) starts afresh.
	if err := CheckDataMount(other, t.TempDir()); err != nil {
		t.Fatalf("a reinstall: %v", err)
	}

	if err := os.WriteFile(filepath.Join(first, dataMarker), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckDataMount(first, mounts); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("a damaged identity: %v", err)
	}
}

func TestMountSourceIn(t *testing.T) {
	const mountinfo = `22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
851 840 8:1 /var/lib/my\040backups /data rw,relatime - ext4 /dev/sda1 rw
852 840 0:5 / /dev/null rw - devtmpfs udev rw
`
	for target, want := range map[string]string{
		"/data": "/var/lib/my backups on /dev/sda1", "/": "/ on /dev/sda1", "/elsewhere": "",
	} {
		if got := mountSourceIn(bufio.NewScanner(strings.NewReader(mountinfo)), target); got != want {
			t.Errorf("mountSourceIn(%s) = %q, want %q", target, got, want)
		}
	}
}
