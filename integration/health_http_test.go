//go:build integration

package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/server"
)

// get fetches url with an optional bearer token and returns status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// With BT_API_TOKEN set, /health without the token says whether the agent is
// healthy and counts things, nothing more: no target, container, label or path.
// With the token it gives every check. A password pasted into password_file
// (where a path belongs) appears in no body, log line or notification.
func TestHealthWithoutTheTokenSaysStatusAndCountsOnly(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	rc := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	defer close(rc.hang)
	token := "health-token-" + rig.RunID() + rig.RunID()
	pasted := "Pasted-" + rig.RunID() + "-Password"
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_API_TOKEN": token,
		"BT_WEBHOOK_URL": hook.URL + "/webhook"}, reg)
	names := startTinies(t, dc, "health-auth", 2, func(i int) map[string]string {
		if i == 1 {
			return standinLabels(run, labels.PasswordFile, pasted)
		}
		return standinLabels(run)
	})
	good, bad := names[0], names[1]
	waitUntil(t, 30*time.Second, func() string { return "targets not registered; logs:\n" + ta.logs.String() }, func() bool {
		_, ok1 := ta.target(good)
		_, ok2 := ta.target(bad)
		return ok1 && ok2 && len(rc.got("/webhook")) > 0
	})

	status, body := get(t, ta.url+"/health", "")
	var summary map[string]any
	if err := json.Unmarshal([]byte(body), &summary); err != nil {
		t.Fatalf("/health without token: HTTP %d: %v: %s", status, err, body)
	}
	t.Logf("/health without token: HTTP %d %s", status, body)
	if status != http.StatusServiceUnavailable || summary["status"] != "unhealthy" {
		t.Errorf("/health without token: HTTP %d status %v; want 503 unhealthy (a target's labels are wrong)", status, summary["status"])
	}
	for key := range summary {
		if key != "status" && key != "time" && key != "targets" && key != "checks" {
			t.Errorf("/health without token has %q; want status and counts only", key)
		}
	}
	for _, secret := range []string{good, bad, "baktainer.", ta.dir, pasted, run} {
		if strings.Contains(body, secret) {
			t.Errorf("/health without token shows %q", secret)
		}
	}
	var counts struct {
		Targets agent.TargetCounts `json:"targets"`
	}
	_ = json.Unmarshal([]byte(body), &counts)
	if counts.Targets.Total != 2 || counts.Targets.Invalid != 1 {
		t.Errorf("/health without token counts %+v; want 2 targets, 1 invalid", counts.Targets)
	}

	status, body = get(t, ta.url+"/health", token)
	var h agent.Health
	if err := json.Unmarshal([]byte(body), &h); err != nil || status != http.StatusServiceUnavailable {
		t.Fatalf("/health with token: HTTP %d: %v: %s", status, err, body)
	}
	if !strings.Contains(strings.Join(h.Reasons, "\n"), bad) || !strings.Contains(strings.Join(h.Reasons, "\n"), labels.PasswordFile) {
		t.Errorf("/health with token: reasons %q do not name %s and its label", h.Reasons, bad)
	}
	bodies := map[string]string{"/health with token": body}
	for _, path := range []string{"/status", "/api/v1/targets", "/metrics", "/dashboard/targets"} {
		_, bodies[path] = get(t, ta.url+path, token)
	}
	for i, n := range rc.got("/webhook") {
		bodies[fmt.Sprintf("notification %d", i)] = n
	}
	bodies["log"] = ta.logs.String()
	for what, b := range bodies {
		if strings.Contains(b, pasted) {
			t.Errorf("%s holds the password pasted into %s", what, labels.PasswordFile)
		}
	}
}

// Every connection of the agent's HTTP server is bounded: a client that sends
// part of a request's headers, or a body that never arrives, is cut off. (That
// past the connection limit a new connection waits until another ends is
// server.TestServerBoundsSlowAndExtraClients, over real sockets too.)
func TestHTTPServerBoundsClients(t *testing.T) {
	dc := rig.Docker(t)
	t.Run("slow requests are cut off", func(t *testing.T) {
		ta := startAgentWith(t, agent.Deps{Docker: dc}, rig.RunID(), map[string]string{"BT_CRON": "@daily"}, server.HTTPLimits{MaxConns: 4,
			ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 2 * time.Second})
		addr := strings.TrimPrefix(ta.url, "http://")
		for _, tc := range []struct{ name, request string }{
			{"headers never end", "GET /health HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: 1\r\n"},
			{"body never arrives", "POST /api/v1/backups HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := io.WriteString(conn, tc.request); err != nil {
					t.Fatal(err)
				}
				// Far longer than the server's limits; the server must end it first.
				_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, err = io.Copy(io.Discard, conn)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("the server still holds the connection after 30s")
				}
			})
		}
	})
}
