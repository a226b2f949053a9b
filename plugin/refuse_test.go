package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"
)

// serveRefusing serves a refusing driver for cfg over an in-memory socket.
func serveRefusing(t *testing.T, reason error, cfg Config) *rig {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	cfg.Log = logrus.NewEntry(log)
	l := sockets.NewInmemSocket("baktainer-refusing", 1)
	t.Cleanup(func() { _ = l.Close() })
	go func() { _ = NewRefusing(reason, cfg).Handler().Serve(l) }()
	return &rig{t: t, client: &http.Client{Transport: &http.Transport{DialContext: inmemDial(l)}}}
}

// tree maps every entry under the roots to its mode, size and modification time.
func tree(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			out[path] = fmt.Sprintf("%s %d %s", fi.Mode(), fi.Size(), fi.ModTime())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A refusing plugin on its own data mount answers for its volumes from their
// records, a damaged one included (by its file's name), refuses every use of a
// volume with the reason, and writes nothing.
func TestRefusingDriverAnswersFromTheRecords(t *testing.T) {
	r := newRig(t)
	if err := CheckDataMount(r.data, r.mnt); err != nil {
		t.Fatal(err)
	}
	r.ok("Create", volume.CreateRequest{Name: "pg", Options: map[string]string{"retention.count": "5"}}, nil)
	r.ok("Create", volume.CreateRequest{Name: "idle"}, nil)
	r.ok("Create", volume.CreateRequest{Name: "damaged"}, nil)
	r.ok("Mount", volume.MountRequest{Name: "pg", ID: "c1"}, nil)
	commitArchive(t, r.vols.Root("pg"), "shop")
	if err := os.WriteFile(statePath(r.data, "damaged"), []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := tree(t, r.data, r.mnt)

	reason := errors.New("baktainer plugin cannot start: BT_CRON: bad")
	ref := serveRefusing(t, reason, Config{DataDir: r.data, MountDir: r.mnt})
	if got := ref.list(); fmt.Sprint(got) != "[damaged idle pg]" {
		t.Fatalf("List = %v", got)
	}
	v := ref.get("pg")
	if opts, _ := v.Status["options"].(map[string]any); opts["retention.count"] != "5" || v.Mountpoint != "" ||
		v.Status["unavailable"] != reason.Error() || v.Status["mounts"] != float64(1) || v.CreatedAt == "" {
		t.Errorf("Get pg = %+v", v)
	}
	if v := ref.get("damaged"); v.Status["problem"] == nil {
		t.Errorf("Get of a volume with a damaged record = %+v", v)
	}
	var path volume.PathResponse
	ref.ok("Path", volume.PathRequest{Name: "pg"}, &path)
	if path.Mountpoint != "" {
		t.Errorf("Path pg = %q", path.Mountpoint)
	}
	var caps volume.CapabilitiesResponse
	ref.ok("Capabilities", nil, &caps)
	if caps.Capabilities.Scope != "local" {
		t.Errorf("Capabilities = %+v", caps)
	}
	ref.fails("Get", volume.GetRequest{Name: "nope"}, "volume nope: plugin: no such backup volume")
	ref.fails("Path", volume.PathRequest{Name: "nope"}, "no such backup volume")
	for endpoint, req := range map[string]any{
		"Create": volume.CreateRequest{Name: "v"}, "Remove": volume.RemoveRequest{Name: "idle"},
		"Mount": volume.MountRequest{Name: "pg", ID: "c2"}, "Unmount": volume.UnmountRequest{Name: "pg", ID: "c1"},
	} {
		ref.fails(endpoint, req, reason.Error())
	}
	if after := tree(t, r.data, r.mnt); !maps.Equal(before, after) {
		t.Errorf("the refusing driver changed the data or propagated mount:\nbefore %v\nafter  %v", before, after)
	}
}

// On another data mount than its own (the upgrade quirk: the default source
// again), the records there are not its volumes': it answers for the names in
// the roster the healthy plugin kept on the propagated mount, and writes nothing
// on either mount.
func TestRefusingDriverOnAnotherDataMountAnswersFromTheRoster(t *testing.T) {
	r := newRig(t)
	if err := CheckDataMount(r.data, r.mnt); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pg", "gone", "idle"} {
		r.ok("Create", volume.CreateRequest{Name: name}, nil)
	}
	r.ok("Remove", volume.RemoveRequest{Name: "gone"}, nil)

	other := t.TempDir() // the default source, with a volume of another plugin's
	if _, err := Open(context.Background(), Config{DataDir: other, MountDir: t.TempDir(), Mounter: newFakeMounter()}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath(other, "stranger"), []byte(`{"version":1,"name":"stranger"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	reason := CheckDataMount(other, r.mnt)
	if !errors.Is(reason, ErrDataMountChanged) {
		t.Fatalf("CheckDataMount on another data mount: %v", reason)
	}
	before := tree(t, other, r.mnt)
	ref := serveRefusing(t, reason, Config{DataDir: other, MountDir: r.mnt})
	if got := ref.list(); fmt.Sprint(got) != "[idle pg]" {
		t.Fatalf("List = %v, want the roster's names", got)
	}
	if v := ref.get("pg"); v.Status["unavailable"] == nil || v.Mountpoint != "" {
		t.Errorf("Get pg = %+v", v)
	}
	ref.fails("Get", volume.GetRequest{Name: "stranger"}, "no such backup volume")
	ref.fails("Mount", volume.MountRequest{Name: "pg", ID: "c1"}, "the data mount is not the one this plugin kept its volumes on")
	if after := tree(t, other, r.mnt); !maps.Equal(before, after) {
		t.Errorf("the refusing driver wrote:\nbefore %v\nafter  %v", before, after)
	}
}
