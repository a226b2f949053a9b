package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fakeChecker struct{ err error }

func (f fakeChecker) Check(context.Context) error { return f.err }

func TestHealthHandler(t *testing.T) {
	for _, tt := range []struct {
		name     string
		err      error
		code     int
		status   string
		errorMsg string
	}{
		{"up", nil, http.StatusOK, "ok", ""},
		{"down", errors.New("plugin: the data mount /data lost its state directory"), http.StatusServiceUnavailable, "unhealthy", "lost its state directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			healthHandler(fakeChecker{tt.err}).ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
			var body map[string]string
			if err := json.NewDecoder(rec.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.code || body["status"] != tt.status || !strings.Contains(body["error"], tt.errorMsg) {
				t.Errorf("GET /health = %d %v", rec.Code, body)
			}
		})
	}
	rec := httptest.NewRecorder()
	healthHandler(fakeChecker{}).ServeHTTP(rec, httptest.NewRequest("POST", "/health", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /health = %d", rec.Code)
	}
}

func TestLoadPluginConfig(t *testing.T) {
	t.Setenv("BT_HEALTH_BIND", "")
	t.Setenv("BT_HEALTH_PORT", "")
	c, err := loadPluginConfig(nil)
	if err != nil || c.Socket != "/run/docker/plugins/baktainer.sock" || c.HealthAddr != "127.0.0.1:8080" || c.DataDir != "/data" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	t.Setenv("BT_HEALTH_BIND", "0.0.0.0")
	t.Setenv("BT_HEALTH_PORT", "9100")
	c, err = loadPluginConfig([]string{"--socket", "/tmp/x.sock", "--data", "/srv/bt"})
	if err != nil || c.Socket != "/tmp/x.sock" || c.HealthAddr != "0.0.0.0:9100" || c.DataDir != "/srv/bt" {
		t.Fatalf("overrides: %+v, %v", c, err)
	}
	for env, want := range map[string]string{"BT_HEALTH_PORT": "BT_HEALTH_PORT=\"99999\"", "BT_HEALTH_BIND": "BT_HEALTH_BIND=\"99999\""} {
		t.Setenv(env, "99999")
		if _, err := loadPluginConfig(nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=99999: %v", env, err)
		}
		t.Setenv(env, "")
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
