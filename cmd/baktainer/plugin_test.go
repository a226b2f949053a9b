package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/plugin"
)

func TestParsePluginPaths(t *testing.T) {
	p, err := parsePluginPaths(nil)
	if err != nil || p.Socket != "/run/docker/plugins/baktainer.sock" || p.DataDir != "/data" || p.MountDir != "/mnt/volumes" {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
	p, err = parsePluginPaths([]string{"--socket", "/tmp/x.sock", "--data", "/srv/bt"})
	if err != nil || p.Socket != "/tmp/x.sock" || p.DataDir != "/srv/bt" {
		t.Fatalf("overrides: %+v, %v", p, err)
	}
	if _, err := parsePluginPaths([]string{"extra"}); !errors.Is(err, errUsage) {
		t.Fatalf("a positional argument: %v", err)
	}
}

func TestRunTasksStopsAllOnFirstFailure(t *testing.T) {
	stopped := make(chan struct{})
	err := runTasks(context.Background(), []task{
		{"waits", func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil }},
		{"fails", func(context.Context) error { return errors.New("socket gone") }},
	})
	if err == nil || err.Error() != "fails: socket gone" {
		t.Fatalf("runTasks = %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(time.Second):
		t.Fatal("the other task was not stopped")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runTasks(ctx, []task{{"waits", func(ctx context.Context) error { <-ctx.Done(); return nil }}}); err != nil {
		t.Fatalf("runTasks after ctx ended = %v", err)
	}
}

// config.json declares every setting as a settable env entry (BT_BACKUP_DIR, the
// standalone destination, excepted), and its defaults load.
func TestConfigJSONDeclaresEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../config.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Entrypoint []string `json:"entrypoint"`
		Env        []struct {
			Name     string   `json:"name"`
			Value    string   `json:"value"`
			Settable []string `json:"settable"`
		} `json:"env"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	values := map[string]string{}
	for _, e := range manifest.Env {
		if !slices.Equal(e.Settable, []string{"value"}) {
			t.Errorf("config.json: %s is not settable", e.Name)
		}
		values[e.Name] = e.Value
	}
	known := map[string]bool{}
	for _, v := range config.Vars() {
		known[v.Name] = true
		if _, ok := values[v.Name]; !ok && v.Name != "BT_BACKUP_DIR" {
			t.Errorf("config.json lacks the setting %s", v.Name)
		}
	}
	for name := range values {
		if !known[name] {
			t.Errorf("config.json declares %s, which baktainer does not read", name)
		}
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := values[name]; return v, ok })
	if err != nil || cfg.StateDir != "/data/agent" || cfg.DefaultVolume != "baktainer-backups" || cfg.Server.Addr() != "127.0.0.1:8080" {
		t.Errorf("config.json's defaults: %+v, %v", cfg, err)
	}
	if !slices.Equal(manifest.Entrypoint, []string{"/baktainer", "plugin"}) {
		t.Errorf("entrypoint = %q", manifest.Entrypoint)
	}
}

// `baktainer volume set` changes a volume's options through the plugin's API
// and prints what changed; the plugin's refusal is the command's error.
func TestVolumeSet(t *testing.T) {
	dir := t.TempDir()
	vols, err := plugin.Open(context.Background(), plugin.Config{DataDir: filepath.Join(dir, "data"), MountDir: filepath.Join(dir, "mnt")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vols.Create(context.Background(), "pg", map[string]string{"retention.count": "3"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(plugin.OptionsRoute, vols.OptionsHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runVolume(context.Background(), &runEnv{stdout: &out, stderr: io.Discard, log: logrus.NewEntry(logrus.New())},
			append(args, "--via", srv.URL))
		return out.String(), err
	}
	out, err := run("set", "pg", "retention.count=14", "consumers=rw")
	if err != nil || out != "volume pg: consumers=rw (was unset)\nvolume pg: retention.count=14 (was 3)\n" {
		t.Fatalf("volume set: %q %v", out, err)
	}
	if info, _ := vols.Get(context.Background(), "pg"); *info.Options.Retention.Count != 14 || !info.Options.ConsumersWrite {
		t.Errorf("options after volume set: %+v", info.Options)
	}
	if out, err := run("set", "pg", "retention.count=14"); err != nil || out != "volume pg: nothing changed\n" {
		t.Errorf("volume set to the same value: %q %v", out, err)
	}
	if _, err := run("set", "pg", "retention.count=many"); err == nil || !strings.Contains(err.Error(), `option retention.count ="many"`) {
		t.Errorf("volume set with a bad value: %v", err)
	}
	for _, args := range [][]string{{"set", "pg"}, {"set", "pg", "retention.count"}, {"get", "pg"}} {
		if _, err := run(args...); !errors.Is(err, errUsage) {
			t.Errorf("volume %v: %v, want a usage error", args, err)
		}
	}
}

// Every /health example in README.md and docs/PLUGIN.md shows the body as it is:
// "checks" a list of {"check", "ok", "detail"} objects (issue 17.10: PLUGIN.md
// showed {"checks":{"docker":"up"}}).
func TestDocsShowHealthAsItIs(t *testing.T) {
	item := regexp.MustCompile(`\{"check":"[a-z_]+","ok":(true|false),"detail":"[^"]*"\}`)
	for _, doc := range []string{"../../README.md", "../../docs/PLUGIN.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			_, after, found := strings.Cut(strings.ReplaceAll(line, " ", ""), `"checks":`)
			if !found {
				continue
			}
			if !strings.HasPrefix(after, "[") || !item.MatchString(after) {
				t.Errorf("%s:%d: /health's checks are a list of {check, ok, detail}: %s", doc, i+1, strings.TrimSpace(line))
			}
		}
	}
}
