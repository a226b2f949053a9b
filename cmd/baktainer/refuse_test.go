package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/sdk"
	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/plugin"
)

// refusingPlugin is refuse() serving a data directory that holds volumes, as the
// plugin process does after a bad setting: the volume driver on a unix socket,
// the HTTP server on a free port.
type refusingPlugin struct {
	t       *testing.T
	data    string
	volumes *http.Client
	http    string // base URL
}

func startRefusingPlugin(t *testing.T, setup func(data, mounts string)) *refusingPlugin {
	t.Helper()
	dir := t.TempDir()
	paths := pluginPaths{DataDir: filepath.Join(dir, "data"), MountDir: filepath.Join(dir, "mnt"), Socket: filepath.Join(dir, "plugin.sock")}
	for _, d := range []string{paths.DataDir, paths.MountDir} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	setup(paths.DataDir, paths.MountDir)
	port := freePort(t)
	env := map[string]string{"BT_CRON": "hourly", "BT_HEALTH_PORT": fmt.Sprint(port)}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err == nil {
		t.Fatal("BT_CRON=hourly loaded")
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- refuse(ctx, logrus.NewEntry(log), paths, cfg, err) }()
	t.Cleanup(func() { cancel(); <-done })
	p := &refusingPlugin{t: t, data: paths.DataDir, http: fmt.Sprintf("http://127.0.0.1:%d", port),
		volumes: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", paths.Socket)
		}}}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(p.http + "/health")
		if err == nil {
			resp.Body.Close()
			var c net.Conn
			if c, err = net.Dial("unix", paths.Socket); err == nil {
				c.Close()
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refusing plugin's HTTP server or volume socket never answered: %v", err)
		}
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// call posts one volume driver request and returns the protocol's Err ("" on success).
func (p *refusingPlugin) call(endpoint string, req, out any) string {
	p.t.Helper()
	body, _ := json.Marshal(req)
	resp, err := p.volumes.Post("http://plugin/VolumeDriver."+endpoint, sdk.DefaultContentTypeV1_1, bytes.NewReader(body))
	if err != nil {
		p.t.Fatalf("%s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e volume.ErrorResponse
	_ = json.Unmarshal(raw, &e)
	if e.Err == "" && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: %s: %v", endpoint, raw, err)
		}
	}
	return e.Err
}

// A plugin that cannot start (here BT_CRON=hourly) keeps answering the engine's
// List, Get and Path for the volumes it holds, from their records, so that the
// engine never takes their names for the local driver's; it refuses Mount,
// Create, Remove and Unmount with the reason, and writes nothing.
func TestRefusingPluginKeepsAnsweringForItsVolumes(t *testing.T) {
	var before map[string]string
	p := startRefusingPlugin(t, func(data, mounts string) {
		if err := plugin.CheckDataMount(data, mounts); err != nil {
			t.Fatal(err)
		}
		vols, err := plugin.Open(context.Background(), plugin.Config{DataDir: data, MountDir: mounts})
		if err != nil {
			t.Fatal(err)
		}
		for name, opts := range map[string]map[string]string{"pg": {"retention.count": "5"}, "idle": nil} {
			if _, err := vols.Create(context.Background(), name, opts); err != nil {
				t.Fatal(err)
			}
		}
		before = snapshot(t, data, mounts)
	})

	var list volume.ListResponse
	if msg := p.call("List", nil, &list); msg != "" {
		t.Fatalf("List: %s", msg)
	}
	var names []string
	for _, v := range list.Volumes {
		names = append(names, v.Name)
	}
	if !slices.Equal(names, []string{"idle", "pg"}) {
		t.Fatalf("List = %v", names)
	}
	var got volume.GetResponse
	if msg := p.call("Get", volume.GetRequest{Name: "pg"}, &got); msg != "" || got.Volume.Name != "pg" || got.Volume.Mountpoint != "" {
		t.Fatalf("Get pg: %q %+v", msg, got.Volume)
	}
	if opts, _ := got.Volume.Status["options"].(map[string]any); opts["retention.count"] != "5" {
		t.Errorf("Get pg: status %v", got.Volume.Status)
	}
	if s, _ := got.Volume.Status["unavailable"].(string); !strings.Contains(s, "BT_CRON") {
		t.Errorf("Get pg: status does not say why the volume cannot be mounted: %v", got.Volume.Status)
	}
	var path volume.PathResponse
	if msg := p.call("Path", volume.PathRequest{Name: "pg"}, &path); msg != "" || path.Mountpoint != "" {
		t.Fatalf("Path pg: %q %q", msg, path.Mountpoint)
	}
	if msg := p.call("Get", volume.GetRequest{Name: "nope"}, nil); !strings.Contains(msg, "no such backup volume") {
		t.Fatalf("Get of a volume it does not hold: %q", msg)
	}
	for endpoint, req := range map[string]any{
		"Mount": volume.MountRequest{Name: "pg", ID: "c1"}, "Create": volume.CreateRequest{Name: "new"},
		"Remove": volume.RemoveRequest{Name: "idle"}, "Unmount": volume.UnmountRequest{Name: "pg", ID: "c1"},
	} {
		if msg := p.call(endpoint, req, nil); !strings.Contains(msg, "baktainer plugin cannot start") || !strings.Contains(msg, "BT_CRON") {
			t.Errorf("%s on the refusing plugin: %q, want the reason", endpoint, msg)
		}
	}
	if after := snapshot(t, p.data, ""); !equalUnder(before, after, p.data) {
		t.Errorf("the refusing plugin changed its data directory:\nbefore %v\nafter  %v", before, after)
	}
}

// snapshot maps every path under the roots to its type, size and modification time.
func snapshot(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range roots {
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			out[path] = fmt.Sprintf("%s %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// equalUnder compares the entries of two snapshots that lie under root.
func equalUnder(a, b map[string]string, root string) bool {
	pick := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			if strings.HasPrefix(k, root) {
				out[k] = v
			}
		}
		return out
	}
	x, y := pick(a), pick(b)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if y[k] != v {
			return false
		}
	}
	return true
}

// The refusing plugin's HTTP server answers every route 503 with the reason:
// the API, /status, metrics and the dashboard (issue 17.5: `backup --via` said
// only "404 page not found"), and /health in its own format.
func TestRefusingPluginAnswersHTTPWithTheReason(t *testing.T) {
	p := startRefusingPlugin(t, func(string, string) {})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/v1/backups"}, {"GET", "/api/v1/backups"}, {"GET", "/api/v1/backups/20250101T000000Z-x"},
		{"GET", "/api/v1/targets"}, {"GET", "/status"}, {"GET", "/metrics"}, {"GET", "/"}, {"GET", "/health"},
	} {
		req, _ := http.NewRequest(tc.method, p.http+tc.path, strings.NewReader(`{"container":"x"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error   string   `json:"error"`
			Status  string   `json:"status"`
			Reasons []string `json:"reasons"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		said := body.Error + strings.Join(body.Reasons, "; ")
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(said, "baktainer plugin cannot start: BT_CRON") {
			t.Errorf("%s %s: %d %+v %v", tc.method, tc.path, resp.StatusCode, body, err)
		}
	}
	var stderr bytes.Buffer
	log := logrus.New()
	log.SetOutput(&stderr)
	err := backupVia(context.Background(), &runEnv{stdout: io.Discard, stderr: &stderr, log: logrus.NewEntry(log)}, p.http, "x", false)
	if err == nil || !strings.Contains(err.Error(), "baktainer plugin cannot start: BT_CRON") {
		t.Errorf("backup --via the refusing plugin: %v", err)
	}
}
