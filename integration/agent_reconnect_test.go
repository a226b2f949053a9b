//go:build integration

package integration

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// socketProxy forwards a unix socket to the Docker daemon's, and can cut every
// connection and stop listening, as a daemon restart or a broken socket would.
type socketProxy struct {
	path, upstream string
	mu             sync.Mutex
	ln             net.Listener
	conns          map[net.Conn]bool
	accepted       int
}

func newSocketProxy(t *testing.T) *socketProxy {
	t.Helper()
	upstream := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		upstream = strings.TrimPrefix(h, "unix://")
	}
	p := &socketProxy{path: filepath.Join(t.TempDir(), "docker.sock"), upstream: upstream, conns: map[net.Conn]bool{}}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *socketProxy) start(t *testing.T) {
	t.Helper()
	_ = os.Remove(p.path)
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.serve(ln)
}

func (p *socketProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("unix", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.accepted++
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *socketProxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut closes every open connection; the proxy keeps listening.
func (p *socketProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns)
	for c := range p.conns {
		c.Close()
	}
	return n
}

// stop stops listening and cuts every connection.
func (p *socketProxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.cut()
}

// Cutting the agent's connection to the Docker API (its event stream included) is
// followed by a reconnect and a resync: containers started or removed while it was
// cut off are found, and the next backups still happen.
func TestAgentReconnectsAndResyncs(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	proxy := newSocketProxy(t)
	viaProxy, err := docker.Dial("unix://" + proxy.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viaProxy.Close() })
	reg, _ := standinRegistry()
	ta := startAgent(t, viaProxy, run, map[string]string{"BT_CRON": "@every 2s"}, reg)

	succeeded := func(name string) func() bool {
		base := count(ta.attempts(name), agent.Succeeded)
		return func() bool { return count(ta.attempts(name), agent.Succeeded) > base }
	}
	first := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-rc-a", Image: rig.TinyImage, Labels: standinLabels(run)})
	waitUntil(t, 30*time.Second, func() string { return "no backup of " + first + " before the cut" }, succeeded(first))

	t.Run("connections cut", func(t *testing.T) {
		if n := proxy.cut(); n == 0 {
			t.Fatal("the agent had no connection to cut")
		}
		// Started after the cut: found by the new event stream or the resync.
		second := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-rc-b", Image: rig.TinyImage, Labels: standinLabels(run)})
		waitUntil(t, 30*time.Second, func() string { return "no backup of " + second + " after the cut; logs:\n" + ta.logs.String() }, succeeded(second))
		waitUntil(t, 30*time.Second, func() string { return "no new backup of " + first + " after the cut" }, succeeded(first))
	})

	t.Run("daemon unreachable, then back", func(t *testing.T) {
		proxy.stop()
		// While the agent cannot see: one container goes, another comes.
		rig.Remove(dc, first)
		third := rig.Start(t, dc, rig.ContainerSpec{Name: "agent-rc-c", Image: rig.TinyImage, Labels: standinLabels(run)})
		waitUntil(t, 30*time.Second, func() string { return "the agent did not notice the lost connection" }, func() bool {
			ok, _ := ta.Connected()
			return !ok
		})
		time.Sleep(3 * time.Second) // a few failed reconnects, with backoff
		proxy.start(t)
		waitUntil(t, 60*time.Second, func() string { return "no reconnect; logs:\n" + ta.logs.String() }, func() bool {
			ok, _ := ta.Connected()
			return ok
		})
		if _, ok := ta.target(first); ok {
			t.Errorf("%s was removed while the agent was cut off, but is still registered after the resync", first)
		}
		waitUntil(t, 30*time.Second, func() string { return "no backup of " + third + " after the reconnect" }, succeeded(third))
		if !ta.logs.Contains("reconnecting") {
			t.Errorf("the reconnect was not logged")
		}
	})
}

// A container recreated under the same name with new labels (what compose does on
// a label change) is followed: the old registration goes, the new labels apply.
func TestAgentFollowsRecreate(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily"}, reg)
	name := "agent-recreate-" + run
	create := func(labels map[string]string) string {
		created, err := dc.API().ContainerCreate(context.Background(), client.ContainerCreateOptions{Name: name,
			Config: &container.Config{Image: rig.TinyImage, Labels: labels}, HostConfig: &container.HostConfig{NetworkMode: "none"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.API().ContainerStart(context.Background(), created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		return created.ID
	}
	t.Cleanup(func() { rig.Remove(dc, name) })
	oldID := create(standinLabels(run, "baktainer.schedule", "@hourly"))
	waitUntil(t, 10*time.Second, func() string { return "not registered" }, func() bool { st, ok := ta.target(name); return ok && st.ContainerID == oldID })

	rig.Remove(dc, name)
	newID := create(standinLabels(run, "baktainer.schedule", "@every 2s", "baktainer.name", "renamed-"+run))
	var st agent.TargetStatus
	waitUntil(t, 10*time.Second, func() string { return "recreate not followed" }, func() bool {
		var ok bool
		st, ok = ta.target(name)
		return ok && st.ContainerID == newID
	})
	if st.Schedule != "@every 2s" || st.Name != "renamed-"+run || len(ta.Targets()) != 1 {
		t.Errorf("after the recreate: %+v (%d targets)", st, len(ta.Targets()))
	}
	waitUntil(t, 20*time.Second, func() string { return "no backup under the new labels" }, func() bool {
		return count(ta.attempts("renamed-"+run), agent.Succeeded) > 0
	})
}
