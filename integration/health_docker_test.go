//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// The real agent binary, without a token, talking to Docker through a socket
// proxy the test stops: /health turns 503 naming Docker, the metrics, /status and
// the dashboard say the engine is gone; when the proxy comes back, all recover.
func TestHealthFollowsTheDockerConnection(t *testing.T) {
	rig.Docker(t)
	proxy := newSocketProxy(t)
	port := freePort(t)
	p := &agentProcess{logs: &syncBuffer{}, url: "http://127.0.0.1:" + port}
	p.cmd = exec.Command(baktainerBinary(t), "agent")
	p.cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+proxy.path, "BT_BACKUP_DIR="+t.TempDir(),
		"BT_SELECTOR="+rig.RunLabel+"="+rig.RunID(), "BT_HEALTH_PORT="+port)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })

	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", p.url+path, nil)
		// As a browser on this machine would ask: allowed by IP address without a token.
		req.Header.Set("Sec-Fetch-Site", "none")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	healthIs := func(want int) func() bool {
		return func() bool { status, _ := get("/health"); return status == want }
	}
	logs := func() string { return "agent logs:\n" + p.logs.String() }
	waitUntil(t, 30*time.Second, logs, healthIs(200))
	if _, m := get("/metrics"); !strings.Contains(m, "\nbaktainer_docker_connected 1\n") {
		t.Errorf("connected, but /metrics says:\n%s", m)
	}

	proxy.stop()
	waitUntil(t, 30*time.Second, logs, healthIs(503))
	_, body := get("/health")
	var h agent.Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	reasons := strings.Join(h.Reasons, "\n")
	if !strings.Contains(reasons, "docker: daemon at unix://"+proxy.path+" does not answer") || !strings.Contains(reasons, "docker_events:") {
		t.Errorf("/health reasons with Docker gone:\n%s", reasons)
	}
	if _, m := get("/metrics"); !strings.Contains(m, "\nbaktainer_docker_connected 0\n") {
		t.Errorf("disconnected, but /metrics says:\n%s", m)
	}
	var st agent.Status
	if _, s := get("/status"); json.Unmarshal([]byte(s), &st) != nil || st.Agent.Docker.Reachable || st.Agent.Docker.EventsConnected || st.Agent.Docker.Error == "" {
		t.Errorf("/status with Docker gone: %+v", st.Agent.Docker)
	}
	if status, page := get("/"); status != 200 || !strings.Contains(page, "unreachable") || !strings.Contains(page, "Unhealthy") {
		t.Errorf("the dashboard with Docker gone: HTTP %d\n%s", status, page)
	}

	proxy.start(t)
	waitUntil(t, 60*time.Second, logs, healthIs(200))
	if _, m := get("/metrics"); !strings.Contains(m, "\nbaktainer_docker_connected 1\n") {
		t.Errorf("reconnected, but /metrics says:\n%s", m)
	}
	// Without a token, a browser must name the agent by address: a host name
	// could be another site's, rebound to this machine.
	req, _ := http.NewRequest("GET", p.url+"/status", nil)
	req.Host = "rebound.example:" + port
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a browser request by host name without a token: HTTP %d, want 403", resp.StatusCode)
	}
}
