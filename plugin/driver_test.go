package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/docker/go-plugins-helpers/volume"

	"github.com/baktainer/baktainer/store"
)

func TestProtocolEndpoints(t *testing.T) {
	r := newRig(t)

	var caps volume.CapabilitiesResponse
	r.ok("Capabilities", nil, &caps)
	if caps.Capabilities.Scope != "local" {
		t.Errorf("scope = %q, want local", caps.Capabilities.Scope)
	}
	var activate struct{ Implements []string }
	resp, err := r.client.Post("http://plugin/Plugin.Activate", sdk.DefaultContentTypeV1_1, nil)
	if err != nil || json.NewDecoder(resp.Body).Decode(&activate) != nil || !slices.Contains(activate.Implements, "VolumeDriver") {
		t.Fatalf("Plugin.Activate = %+v, %v", activate, err)
	}
	resp.Body.Close()

	if got := r.list(); len(got) != 0 {
		t.Fatalf("List on a fresh data dir = %v", got)
	}
	r.ok("Create", volume.CreateRequest{Name: "pg", Options: map[string]string{"retention.count": "5"}}, nil)
	r.ok("Create", volume.CreateRequest{Name: "plain"}, nil)
	if got := r.list(); !slices.Equal(got, []string{"pg", "plain"}) {
		t.Fatalf("List = %v", got)
	}
	if fi, err := os.Stat(filepath.Join(r.data, "volumes", "pg")); err != nil || !fi.IsDir() {
		t.Fatalf("volume directory: %v", err)
	}

	v := r.get("pg")
	if v.Mountpoint != "" || v.CreatedAt == "" || v.Status["mounts"] != float64(0) {
		t.Errorf("Get before mount = %+v", v)
	}
	if opts, _ := v.Status["options"].(map[string]any); opts["retention.count"] != "5" {
		t.Errorf("Get status options = %v", v.Status["options"])
	}
	var path volume.PathResponse
	r.ok("Path", volume.PathRequest{Name: "pg"}, &path)
	if path.Mountpoint != "" {
		t.Errorf("Path before mount = %q, want empty", path.Mountpoint)
	}

	// Two containers mount it: one bind mount, two references.
	var m1, m2 volume.MountResponse
	r.ok("Mount", volume.MountRequest{Name: "pg", ID: "c1"}, &m1)
	r.ok("Mount", volume.MountRequest{Name: "pg", ID: "c2"}, &m2)
	if m1.Mountpoint != r.mnt+"/pg" || m2.Mountpoint != m1.Mountpoint {
		t.Fatalf("mount points %q, %q", m1.Mountpoint, m2.Mountpoint)
	}
	if src := r.mounter.mounted[r.mnt+"/pg"]; src != filepath.Join(r.data, "volumes", "pg") || r.mounter.binds != 1 {
		t.Fatalf("bind mounts: %v (%d binds)", r.mounter.mounted, r.mounter.binds)
	}
	r.ok("Path", volume.PathRequest{Name: "pg"}, &path)
	if v := r.get("pg"); path.Mountpoint != r.mnt+"/pg" || v.Mountpoint != path.Mountpoint || v.Status["mounts"] != float64(2) {
		t.Errorf("after two mounts: Path %q, Get %+v", path.Mountpoint, v)
	}

	// The first container stops: the second still has it.
	r.ok("Unmount", volume.UnmountRequest{Name: "pg", ID: "c1"}, nil)
	if _, ok := r.mounter.mounted[r.mnt+"/pg"]; !ok {
		t.Fatal("the bind mount went away while c2 still mounts the volume")
	}
	r.ok("Unmount", volume.UnmountRequest{Name: "pg", ID: "c2"}, nil)
	if len(r.mounter.mounted) != 0 {
		t.Fatalf("bind mounts left after the last unmount: %v", r.mounter.mounted)
	}

	r.ok("Remove", volume.RemoveRequest{Name: "plain"}, nil)
	if got := r.list(); !slices.Equal(got, []string{"pg"}) {
		t.Fatalf("List after Remove = %v", got)
	}
	if _, err := os.Stat(filepath.Join(r.data, "volumes", "plain")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed volume's directory: %v", err)
	}
}

func TestProtocolErrors(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.days": "7"}}, nil)

	for _, tt := range []struct {
		endpoint string
		req      any
		want     string
	}{
		{"Get", volume.GetRequest{Name: "nope"}, "volume nope: plugin: no such backup volume"},
		{"Path", volume.PathRequest{Name: "nope"}, "no such backup volume"},
		{"Mount", volume.MountRequest{Name: "nope", ID: "c1"}, "no such backup volume"},
		{"Unmount", volume.UnmountRequest{Name: "nope", ID: "c1"}, "no such backup volume"},
		{"Remove", volume.RemoveRequest{Name: "nope"}, "no such backup volume"},
		{"Get", volume.GetRequest{Name: "../etc"}, `volume name "../etc"`},
		{"Create", volume.CreateRequest{Name: "a/b"}, `volume name "a/b"`},
		{"Create", volume.CreateRequest{Name: "bad", Options: map[string]string{"retention.days": "x", "size": "1G"}},
			`option retention.days ="x": must be a whole number of days from 0 to 36500` + "\n" + "option size is not a baktainer volume option"},
		{"Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.days": "8"}}, "exists with other options"},
		{"Mount", volume.MountRequest{Name: "vol"}, "mount without an ID"},
		{"Unmount", volume.UnmountRequest{Name: "vol", ID: "never"}, `mount ID "never": plugin: backup volume not mounted by this ID`},
	} {
		r.fails(tt.endpoint, tt.req, tt.want)
	}
	if got := r.list(); !slices.Equal(got, []string{"vol"}) {
		t.Fatalf("failed creates left volumes behind: %v", got)
	}
	// The same create again is a no-op, and so is one without options.
	r.ok("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.days": "7"}}, nil)
	r.ok("Create", volume.CreateRequest{Name: "vol"}, nil)

	// Double mount with one ID counts once; the double unmount fails.
	r.ok("Mount", volume.MountRequest{Name: "vol", ID: "c1"}, nil)
	r.ok("Mount", volume.MountRequest{Name: "vol", ID: "c1"}, nil)
	if v := r.get("vol"); v.Status["mounts"] != float64(1) || r.mounter.binds != 1 {
		t.Fatalf("double mount: status %v, %d binds", v.Status, r.mounter.binds)
	}
	r.fails("Remove", volume.RemoveRequest{Name: "vol"}, "volume vol is mounted by 1 container mount(s): plugin: backup volume in use")
	r.ok("Unmount", volume.UnmountRequest{Name: "vol", ID: "c1"}, nil)
	r.fails("Unmount", volume.UnmountRequest{Name: "vol", ID: "c1"}, "not mounted by this ID")

	// A backup being written holds the volume.
	_, release, err := r.vols.Hold(context.Background(), "vol")
	if err != nil {
		t.Fatal(err)
	}
	r.fails("Remove", volume.RemoveRequest{Name: "vol"}, "a backup is being written to it")
	release()
	release() // twice is harmless
	r.ok("Remove", volume.RemoveRequest{Name: "vol"}, nil)
	r.fails("Remove", volume.RemoveRequest{Name: "vol"}, "no such backup volume")
}

// commitArchive writes a real archive with the store, as the agent will.
func commitArchive(t *testing.T, root, name string) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Engine: "postgres"}, "sql", store.Options{Compression: store.Compression("none")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(p, "-- PostgreSQL database dump complete\n"); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRemoveRefusesWhileHoldingArchives(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "keep"}, nil)
	r.ok("Create", volume.CreateRequest{Name: "purge", Options: map[string]string{"remove-archives": "true"}}, nil)
	for _, name := range []string{"keep", "purge"} {
		info, err := r.vols.Get(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		commitArchive(t, info.Root, "shop")
	}

	r.fails("Remove", volume.RemoveRequest{Name: "keep"}, "volume keep holds 1 archive(s) (e.g. shop/")
	r.fails("Remove", volume.RemoveRequest{Name: "keep"}, "create the volume with -o remove-archives=true")
	if archives, err := store.List(context.Background(), r.vols.Root("keep")); err != nil || len(archives) != 1 {
		t.Fatalf("archives after a refused remove: %v, %v", archives, err)
	}
	r.ok("Remove", volume.RemoveRequest{Name: "purge"}, nil)

	// Once the archives are gone (deleted by hand), removal goes through.
	if err := os.RemoveAll(filepath.Join(r.vols.Root("keep"), "shop")); err != nil {
		t.Fatal(err)
	}
	r.ok("Remove", volume.RemoveRequest{Name: "keep"}, nil)
	if got := r.list(); len(got) != 0 {
		t.Fatalf("volumes left: %v", got)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "pg", Options: map[string]string{"retention.count": "2"}}, nil)
	r.ok("Create", volume.CreateRequest{Name: "idle"}, nil)
	r.ok("Mount", volume.MountRequest{Name: "pg", ID: "c1"}, nil)
	archive := commitArchive(t, r.vols.Root("pg"), "shop")

	// The plugin restarts (disable/enable, daemon restart, upgrade): its mount
	// namespace, and with it the bind mount, is gone.
	r.mounter = newFakeMounter()
	r.serve()
	if got := r.list(); !slices.Equal(got, []string{"idle", "pg"}) {
		t.Fatalf("volumes after restart: %v", got)
	}
	v := r.get("pg")
	if v.Status["mounts"] != float64(1) || v.Mountpoint != r.mnt+"/pg" {
		t.Fatalf("pg after restart: %+v", v)
	}
	if _, ok := r.mounter.mounted[r.mnt+"/pg"]; !ok {
		t.Fatal("a volume mounted before the restart was not bound again")
	}
	if _, ok := r.mounter.mounted[r.mnt+"/idle"]; ok {
		t.Fatal("an unmounted volume was bound at start")
	}
	info, _ := r.vols.Get(context.Background(), "pg")
	if info.Options.Retention.Count == nil || *info.Options.Retention.Count != 2 {
		t.Fatalf("options after restart: %+v", info.Options)
	}
	if err := store.VerifyChecksum(context.Background(), archive); err != nil {
		t.Fatalf("archive after restart: %v", err)
	}
	// The container stops after the restart: the engine's Unmount is understood.
	r.ok("Unmount", volume.UnmountRequest{Name: "pg", ID: "c1"}, nil)
	if len(r.mounter.mounted) != 0 {
		t.Fatalf("mounts left: %v", r.mounter.mounted)
	}
}

func TestOpenRecovers(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "a"}, nil)
	// A crash inside Create (directory made, no record) and a crashed record write.
	if err := os.MkdirAll(filepath.Join(r.data, "volumes", "orphan"), 0o750); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(r.data, "state", ".tmp-a-123")
	if err := os.WriteFile(leftover, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.serve()
	if got := r.list(); !slices.Equal(got, []string{"a", "orphan"}) {
		t.Fatalf("volumes = %v, want the orphan adopted", got)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temp record: %v", err)
	}

	// A damaged record stops the plugin from starting, loudly, naming the file.
	if err := os.WriteFile(filepath.Join(r.data, "state", "a.json"), []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), Config{DataDir: r.data, MountDir: r.mnt, Mounter: newFakeMounter()})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(r.data, "state", "a.json")) {
		t.Fatalf("Open with a damaged record: %v", err)
	}
}

func TestLockHonoursContext(t *testing.T) {
	r := newRig(t)
	unlock, err := r.vols.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.vols.Get(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with the lock taken and ctx canceled: %v", err)
	}
	if err := r.vols.Check(ctx); err == nil {
		t.Fatal("Check passed while the volumes were stuck")
	}
}
