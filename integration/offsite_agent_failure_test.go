//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// gateProxy relays a loopback port to an S3 server and can play the server
// gone: closed, its port refuses connections (and those open are cut); opened
// again, it listens on the same port.
type gateProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newGateProxy(t testing.TB, target string) *gateProxy {
	t.Helper()
	g := &gateProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	g.listen("127.0.0.1:0")
	t.Cleanup(g.close)
	return g
}

func (g *gateProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		g.t.Fatalf("gate proxy: %v", err)
	}
	g.mu.Lock()
	g.ln, g.addr = ln, ln.Addr().String()
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go g.relay(c)
		}
	}()
}

// open listens again on the same port.
func (g *gateProxy) open() { g.listen(g.addr) }

// close stops listening and cuts every connection.
func (g *gateProxy) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for c := range g.conns {
		c.Close()
	}
}

func (g *gateProxy) relay(in net.Conn) {
	out, err := net.Dial("tcp", g.target)
	if err != nil {
		in.Close()
		return
	}
	g.mu.Lock()
	g.conns[in], g.conns[out] = true, true
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.conns, in)
		delete(g.conns, out)
		g.mu.Unlock()
		in.Close()
		out.Close()
	}()
	done := make(chan struct{})
	go func() { _, _ = io.Copy(out, in); close(done) }()
	_, _ = io.Copy(in, out)
	<-done
}

// With the S3 server gone for good, a backup is "local ok, off-host copy
// failed": the attempt (in the history and /status) says so, the local archive
// stays, a notification goes out, /metrics shows it, /health goes overdue when
// the copies are past the overdue rule, naming them. When the server is back,
// the next backup copies its archive and every earlier one that missed its
// copy, and /health is healthy again. Real agent, real Docker exec, real S3.
func TestOffsiteAgentServerDown(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	gate := newGateProxy(t, s3.Endpoint())
	settings := s3.Settings(bucket, "")
	settings.Endpoint = gate.addr
	// Quick retries: the production policy waits about a minute before it gives up.
	remote, _ := offsiteRemote(t, settings, offsite.Options{Retry: offsite.RetryPolicy{Attempts: 3, First: 100 * time.Millisecond, Max: 200 * time.Millisecond}})
	dir := t.TempDir()
	hooks := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	hookSrv := httptest.NewServer(hooks)
	defer hookSrv.Close()
	reg, _ := standinRegistry()
	// Every 3 s, 2 s per try, no retry: the copies are overdue 3+3+2 s after
	// the start of the last backup whose copy succeeded.
	ta := startAgentWith(t, agent.Deps{Docker: dc, Engines: reg, Destinations: agent.Directory{Dir: dir, Offsite: remote}}, run,
		map[string]string{"BT_BACKUP_DIR": dir, "BT_CRON": "@every 3s", "BT_BACKUP_TIMEOUT": "2s", "BT_BACKUP_RETRIES": "0",
			"BT_WEBHOOK_URL": hookSrv.URL + "/hook"})
	name := startTinies(t, dc, "offsite-down", 1, func(int) map[string]string { return standinLabels(run) })[0]

	first := waitAttempt(t, ta, name, "a copy that succeeded", func(a agent.Attempt) bool { return a.Offsite.Succeeded() })
	gate.close()
	failed := waitAttempt(t, ta, name, "a copy that failed", func(a agent.Attempt) bool { return a.Offsite.Failed() })
	if failed.Outcome != agent.Succeeded || !strings.Contains(failed.Offsite.Error, "gave up after 3 attempts") || !fileExists(failed.Archive) {
		t.Fatalf("the attempt with the server gone: %+v, copy %+v", failed, failed.Offsite)
	}
	waitUntil(t, 30*time.Second, func() string { return "no offsite.failed notification: " + strings.Join(hooks.got("/hook"), "\n") }, func() bool {
		return strings.Contains(strings.Join(hooks.got("/hook"), "\n"), `"event":"offsite.failed"`)
	})
	var h agent.Health
	waitUntil(t, 30*time.Second, func() string { return "/health never went overdue for the copies" }, func() bool {
		return apiQuiet(ta.url+"/health", &h) == http.StatusServiceUnavailable && strings.Contains(strings.Join(h.Reasons, "\n"), "the last backup copied off the host")
	})
	if !strings.Contains(strings.Join(h.Reasons, "\n"), "the last copy failed") || first.Started.IsZero() {
		t.Errorf("/health's reasons: %v", h.Reasons)
	}
	checkOffsiteStatus(t, ta, name, true)

	gate.open()
	back := waitAttempt(t, ta, name, "a copy that caught up", func(a agent.Attempt) bool { return a.Offsite.Succeeded() && a.Offsite.CaughtUp > 0 })
	waitUntil(t, 30*time.Second, func() string { return "/health not healthy again: " + strings.Join(h.Reasons, "; ") }, func() bool {
		return apiQuiet(ta.url+"/health", &h) == http.StatusOK
	})
	checkOffsiteStatus(t, ta, name, false)
	checkEveryArchiveCopied(t, dir, remote, back)
}

// waitAttempt waits for a finished attempt of container that has what cond asks.
func waitAttempt(t *testing.T, ta *testAgent, container, what string, cond func(agent.Attempt) bool) agent.Attempt {
	t.Helper()
	var found agent.Attempt
	waitUntil(t, 90*time.Second, func() string { return "no attempt of " + container + " with " + what }, func() bool {
		for _, a := range ta.attempts(container) {
			if a.Outcome.Final() && cond(a) {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

// checkOffsiteStatus: /status and /metrics say whether the latest copy failed.
func checkOffsiteStatus(t *testing.T, ta *testAgent, container string, failing bool) {
	t.Helper()
	var st agent.Status
	if code := apiQuiet(ta.url+"/status", &st); code != http.StatusOK {
		t.Fatalf("/status: %d", code)
	}
	var rep *agent.TargetReport
	for i := range st.Targets {
		if st.Targets[i].Container == container {
			rep = &st.Targets[i]
		}
	}
	if rep == nil || rep.Offsite == nil || rep.Offsite.Failing != failing || (failing && rep.Offsite.LastError == "") {
		t.Fatalf("/status of %s: %+v", container, rep)
	}
	resp, err := http.Get(ta.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `baktainer_offsite_last_failed{name="` + container + `"} 0`
	if failing {
		want = `baktainer_offsite_last_failed{name="` + container + `"} 1`
	}
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), `baktainer_offsite_last_success_timestamp_seconds{name="`+container+`"}`) {
		t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(b), "offsite"))
	}
	if raw, _ := json.Marshal(rep); failing && rep.State != agent.StateOffsiteFailing && rep.State != agent.StateOverdue {
		t.Errorf("state %s with a failing copy: %s", rep.State, raw)
	}
}

// checkEveryArchiveCopied: every archive up to the one whose backup caught up
// has its copy in the bucket.
func checkEveryArchiveCopied(t *testing.T, dir string, remote *offsite.Remote, back agent.Attempt) {
	t.Helper()
	local, err := store.List(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	listing, err := remote.List(context.Background(), back.Name)
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]bool{}
	for _, c := range listing.Copies {
		copied[c.Meta.File] = true
	}
	var caughtUp store.Meta
	for _, a := range local {
		if a.Path == back.Archive {
			caughtUp = a.Meta
		}
	}
	missing := 0
	for _, a := range local {
		if !a.Meta.Created.After(caughtUp.Created) && !copied[a.Meta.File] {
			missing++
			t.Errorf("%s has no copy", a.Path)
		}
	}
	if caughtUp.File == "" || len(local) < 3 || missing > 0 {
		t.Errorf("%d local archives, %d copies, the catching-up archive %q", len(local), len(listing.Copies), caughtUp.File)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
