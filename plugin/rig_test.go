package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"
)

// fakeMounter records bind mounts instead of making them: unit tests need no
// privileges. The integration tests use the real BindMounter in the plugin.
type fakeMounter struct {
	mu       sync.Mutex
	mounted  map[string]string // target → source
	readOnly map[string]bool   // target → bound read-only
	binds    int
}

func newFakeMounter() *fakeMounter {
	return &fakeMounter{mounted: map[string]string{}, readOnly: map[string]bool{}}
}

func (f *fakeMounter) Bind(source, target string, readOnly bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.mounted[target]; ok {
		return fmt.Errorf("fake: %s is already a mount point", target)
	}
	f.mounted[target] = source
	f.readOnly[target] = readOnly
	f.binds++
	return nil
}

func (f *fakeMounter) Unmount(target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.mounted[target]; !ok {
		return fmt.Errorf("fake: %s is not mounted", target)
	}
	delete(f.mounted, target)
	return nil
}

func (f *fakeMounter) Mounted(target string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.mounted[target]
	return ok, nil
}

// rig is a driver served over an in-memory socket, as the engine would reach it.
type rig struct {
	t       *testing.T
	data    string
	mnt     string // the propagated mount
	mounter *fakeMounter
	vols    *Volumes
	client  *http.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, data: t.TempDir(), mnt: filepath.Join(t.TempDir(), "mnt"), mounter: newFakeMounter()}
	r.serve()
	return r
}

// serve opens the volumes from the data directory and serves them: calling it
// again is a plugin restart (the fake mounts are gone with the old process).
func (r *rig) serve() {
	r.t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	vols, err := Open(context.Background(), Config{
		DataDir: r.data, MountDir: r.mnt, Mounter: r.mounter, Log: logrus.NewEntry(log),
	})
	if err != nil {
		r.t.Fatalf("Open: %v", err)
	}
	r.vols = vols
	ctx, cancel := context.WithCancel(context.Background())
	l := sockets.NewInmemSocket("baktainer-test", 1)
	go func() { _ = NewDriver(ctx, vols, logrus.NewEntry(log)).Handler().Serve(l) }()
	r.t.Cleanup(func() { cancel(); _ = l.Close() })
	r.client = &http.Client{Transport: &http.Transport{DialContext: inmemDial(l)}}
}

// call posts a request to an endpoint and decodes the answer into out. It returns
// the protocol's Err string ("" on success).
func (r *rig) call(endpoint string, req, out any) string {
	r.t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := r.client.Post("http://plugin/VolumeDriver."+endpoint, sdk.DefaultContentTypeV1_1, bytes.NewReader(body))
	if err != nil {
		r.t.Fatalf("%s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	var e volume.ErrorResponse
	_ = json.Unmarshal(raw, &e)
	if (resp.StatusCode != http.StatusOK) != (e.Err != "") {
		r.t.Fatalf("%s: status %d with body %s", endpoint, resp.StatusCode, raw)
	}
	if e.Err == "" && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			r.t.Fatalf("%s: decode %s: %v", endpoint, raw, err)
		}
	}
	return e.Err
}

// ok fails the test when the call answers an error.
func (r *rig) ok(endpoint string, req, out any) {
	r.t.Helper()
	if msg := r.call(endpoint, req, out); msg != "" {
		r.t.Fatalf("%s %+v: %s", endpoint, req, msg)
	}
}

// fails checks that the call answers an error containing want.
func (r *rig) fails(endpoint string, req any, want string) {
	r.t.Helper()
	msg := r.call(endpoint, req, nil)
	if msg == "" || !strings.Contains(msg, want) {
		r.t.Fatalf("%s %+v: error %q, want one containing %q", endpoint, req, msg, want)
	}
}

func (r *rig) get(name string) *volume.Volume {
	r.t.Helper()
	var res volume.GetResponse
	r.ok("Get", volume.GetRequest{Name: name}, &res)
	return res.Volume
}

func (r *rig) list() []string {
	r.t.Helper()
	var res volume.ListResponse
	r.ok("List", nil, &res)
	var names []string
	for _, v := range res.Volumes {
		names = append(names, v.Name)
	}
	return names
}

// inmemDial dials the in-memory socket l, whatever address the client asks for.
func inmemDial(l *sockets.InmemSocket) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return l.Dial("", "") }
}
