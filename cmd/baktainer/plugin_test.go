package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/baktainer/baktainer/config"
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
