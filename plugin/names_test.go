package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/volume"
)

// The longest name CheckName accepts is a usable volume: created, mounted,
// served again after a restart; one character more is refused, naming the limit
// (issue 11.6: a 250-character name was accepted, and its state file could not
// be written, which bricked every later start).
func TestLongestVolumeName(t *testing.T) {
	r := newRig(t)
	longest := strings.Repeat("v", MaxNameLength)
	r.ok("Create", volume.CreateRequest{Name: longest, Options: map[string]string{"retention.count": "2"}}, nil)
	r.ok("Mount", volume.MountRequest{Name: longest, ID: "c1"}, nil)
	commitArchive(t, r.vols.Root(longest), "shop")
	r.ok("Unmount", volume.UnmountRequest{Name: longest, ID: "c1"}, nil)
	r.serve()
	if got := r.list(); len(got) != 1 || got[0] != longest {
		t.Fatalf("volumes after a restart: %v", got)
	}
	for _, name := range []string{longest + "v", strings.Repeat("x", 250)} {
		r.fails("Create", volume.CreateRequest{Name: name}, "at most 239 characters")
		if _, err := os.Stat(filepath.Join(r.data, "volumes", name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused create left a directory: %v", err)
		}
	}
}

// Start-up skips what it cannot adopt — a directory whose name cannot be a
// volume's, or whose record cannot be written — and reports it, instead of
// failing every start.
func TestOpenSkipsAndReportsWhatItCannotAdopt(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "kept"}, nil)
	for _, name := range []string{strings.Repeat("x", 250), "has space", "fine"} {
		if err := os.Mkdir(filepath.Join(r.data, "volumes", name), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	r.serve()
	if got := r.list(); strings.Join(got, ",") != "fine,kept" {
		t.Fatalf("volumes after start = %v, want the adoptable orphan and the kept volume", got)
	}
	err := r.vols.CheckDirectories(context.Background())
	if err == nil {
		t.Fatal("CheckDirectories passed with two directories that are not volumes")
	}
	for _, want := range []string{`"has space"`, `"xxxxxxxx`, "not adopted", "at most 239 characters", "rename it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckDirectories = %q, want it to contain %q", err, want)
		}
	}
}
