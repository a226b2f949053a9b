//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// receiver is a local HTTP endpoint that keeps what notifications bring it.
type receiver struct {
	mu     sync.Mutex
	bodies map[string][]string // by path
	hang   chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies[r.URL.Path] = append(rc.bodies[r.URL.Path], string(b))
	rc.mu.Unlock()
	if r.URL.Path == "/hang" { // a notification service that never answers
		select {
		case <-rc.hang:
		case <-r.Context().Done():
		}
	}
}

func (rc *receiver) got(path string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies[path]...)
}

// Notifications reach a local receiver, through BT_WEBHOOK_URL (JSON events) and a
// shoutrrr generic URL, with the right event for a success, a failure and a
// warning, and no secret in any payload; a hanging or unreachable notification
// service neither fails nor delays a backup.
func TestAgentNotifications(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	rc := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(rc.hang)
	host := strings.TrimPrefix(srv.URL, "http://")

	secrets := map[string]string{
		"label password": "PLANTED-label-pw-4242", "container env": "PLANTED-env-secret-4242",
		"API token": "PLANTED-api-token-4242-abcdef", "encryption passphrase": "PLANTED-passphrase-4242",
	}
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{
		"BT_CRON": "@daily", "BT_NOTIFY_SUCCESS": "true", "BT_NOTIFY_TIMEOUT": "2s",
		"BT_WEBHOOK_URL": srv.URL + "/webhook",
		"BT_NOTIFICATION_URLS": "generic://" + host + "/shoutrrr?template=json&disabletls=yes " +
			"generic://" + host + "/hang?disabletls=yes, generic://127.0.0.1:1/unreachable?disabletls=yes",
		"BT_API_TOKEN": secrets["API token"], "BT_ENCRYPTION_PASSPHRASE": secrets["encryption passphrase"],
	}, reg)

	withSecrets := func(extra ...string) map[string]string {
		return standinLabels(run, append([]string{"baktainer.db.password", secrets["label password"]}, extra...)...)
	}
	env := []string{"STANDIN_SECRET=" + secrets["container env"]}
	good := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-notify-ok", Image: rig.TinyImage, Env: env, Labels: withSecrets()})
	bad := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-notify-fail", Image: rig.TinyImage, Env: env, Labels: withSecrets(leakLabel, "1")})
	typo := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-notify-typo", Image: rig.TinyImage, Env: env,
		Labels: withSecrets("baktainer.scheduel", "@hourly")})
	waitUntil(t, 20*time.Second, func() string { return "containers not registered" }, func() bool { return len(ta.Targets()) == 3 })

	token := secrets["API token"]
	if status := api(t, "POST", ta.url+"/api/v1/backups", "", agent.BackupRequest{Container: good}, &agent.Attempt{}); status != http.StatusUnauthorized {
		t.Errorf("run-now without the token: HTTP %d, want 401", status)
	}
	for _, name := range []string{good, bad} {
		if status := api(t, "POST", ta.url+"/api/v1/backups", token, agent.BackupRequest{Container: name}, &agent.Attempt{}); status != http.StatusAccepted {
			t.Fatalf("run-now of %s: HTTP %d", name, status)
		}
	}
	started := time.Now()
	waitUntil(t, 30*time.Second, func() string { return "backups not finished" }, func() bool {
		return len(ta.attempts(good)) == 1 && len(ta.attempts(bad)) == 1
	})
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("backups took %s with a hanging notification service", took)
	}
	if a := ta.attempts(good)[0]; a.Outcome != agent.Succeeded {
		t.Errorf("%s: %s %s", good, a.Outcome, a.Error)
	}

	type event struct{ Event, Name, Container, Error, Message, Title string }
	want := map[string]string{good: "backup.succeeded", bad: "backup.failed", typo: "warning"}
	waitUntil(t, 30*time.Second, func() string { return "webhook got " + strings.Join(rc.got("/webhook"), "\n") }, func() bool {
		found := map[string]bool{}
		for _, body := range rc.got("/webhook") {
			var e event
			if json.Unmarshal([]byte(body), &e) == nil && want[e.Container] == e.Event {
				found[e.Container] = true
			}
		}
		return len(found) == len(want)
	})
	waitUntil(t, 30*time.Second, func() string { return "shoutrrr URL got " + strings.Join(rc.got("/shoutrrr"), "\n") }, func() bool {
		found := map[string]bool{}
		for _, body := range rc.got("/shoutrrr") {
			var e event
			if json.Unmarshal([]byte(body), &e) != nil {
				continue
			}
			for c, kind := range want {
				if strings.Contains(e.Message, c) && (kind != "backup.failed" || strings.Contains(e.Title, "FAILED")) {
					found[c] = true
				}
			}
		}
		return len(found) == len(want)
	})
	for _, body := range append(rc.got("/webhook"), rc.got("/shoutrrr")...) {
		if strings.Contains(body, bad) && strings.Contains(body, "failed") && !strings.Contains(body, "[REDACTED]") {
			t.Errorf("the failure's error was not scrubbed: %s", body)
		}
	}
	all := strings.Join(append(append(rc.got("/webhook"), rc.got("/shoutrrr")...), rc.got("/hang")...), "\n") + ta.logs.String()
	for what, secret := range secrets {
		if strings.Contains(all, secret) {
			t.Errorf("the %s appears in a notification or a log line", what)
		}
	}
	if !ta.logs.Contains("notification failed (the backup is not affected)") {
		t.Errorf("the unreachable notification service was not logged")
	}
}
