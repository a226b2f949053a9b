//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
)

// scratchWatch follows the Docker engine's events while a test runs: every
// scratch container created (inspected at once: network mode, ports, memory,
// labels, volumes) and every network any container was connected to, so a test
// can prove its agent's scratch containers never had a network and are gone.
type scratchWatch struct {
	dc       *docker.Client
	mu       sync.Mutex
	seen     map[string]*scratchInfo // by container ID
	networks map[string][]string     // container ID → networks it was connected to
	cancel   context.CancelFunc
}

type scratchInfo struct {
	id, name, mode string
	labels         map[string]string
	networks       []string
	ports          int
	publishAll     bool
	memory         int64
	volumes        []string
	err            error
}

// watchScratch starts following the engine's events; it stops when the test ends.
func watchScratch(t *testing.T, dc *docker.Client) *scratchWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &scratchWatch{dc: dc, seen: map[string]*scratchInfo{}, networks: map[string][]string{}, cancel: cancel}
	t.Cleanup(cancel)
	containers := make(client.Filters)
	containers.Add("type", "container")
	containers.Add("event", "create")
	containers.Add("label", drill.LabelScratch+"=true")
	created := dc.API().Events(ctx, client.EventsListOptions{Filters: containers})
	networks := make(client.Filters)
	networks.Add("type", "network")
	networks.Add("event", "connect")
	connected := dc.API().Events(ctx, client.EventsListOptions{Filters: networks})
	go func() {
		for {
			select {
			case m := <-created.Messages:
				w.look(ctx, m.Actor.ID)
			case m := <-connected.Messages:
				w.mu.Lock()
				id := m.Actor.Attributes["container"]
				w.networks[id] = append(w.networks[id], m.Actor.Attributes["name"])
				w.mu.Unlock()
			case <-created.Err:
				return
			case <-connected.Err:
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the subscriptions reach the daemon
	return w
}

func (w *scratchWatch) look(ctx context.Context, id string) {
	info := &scratchInfo{id: id}
	res, err := w.dc.API().ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		info.err = err
	} else {
		c := res.Container
		info.name, info.mode, info.labels = strings.TrimPrefix(c.Name, "/"), string(c.HostConfig.NetworkMode), c.Config.Labels
		info.ports, info.publishAll, info.memory = len(c.HostConfig.PortBindings), c.HostConfig.PublishAllPorts, c.HostConfig.Memory
		for name := range c.NetworkSettings.Networks {
			info.networks = append(info.networks, name)
		}
		for _, m := range c.Mounts {
			if m.Type == "volume" {
				info.volumes = append(info.volumes, m.Name)
			}
		}
	}
	w.mu.Lock()
	w.seen[id] = info
	w.mu.Unlock()
}

// of returns the scratch containers seen whose owner label is owner.
func (w *scratchWatch) of(owner string) []scratchInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []scratchInfo
	for _, s := range w.seen {
		if s.labels[drill.LabelOwner] == owner {
			c := *s
			c.networks = append(append([]string(nil), s.networks...), w.networks[s.id]...)
			out = append(out, c)
		}
	}
	return out
}

// check fails the test unless owner's scratch containers (at least min) were
// isolated (network mode none, no network but "none", no ports, a memory
// limit) and are gone with their volumes.
func (w *scratchWatch) check(t *testing.T, owner string, min int) {
	t.Helper()
	seen := w.of(owner)
	if len(seen) < min {
		t.Errorf("%d scratch containers of %s seen, want at least %d", len(seen), owner, min)
	}
	ctx := context.Background()
	for _, s := range seen {
		if s.err != nil {
			t.Errorf("scratch container %s: inspect at its creation: %v", s.id, s.err)
			continue
		}
		if s.mode != "none" || s.ports != 0 || s.publishAll || s.memory <= 0 {
			t.Errorf("scratch container %s: network mode %q, %d ports, publish all %v, memory %d", s.name, s.mode, s.ports, s.publishAll, s.memory)
		}
		for _, n := range s.networks {
			if n != "none" {
				t.Errorf("scratch container %s was connected to network %s", s.name, n)
			}
		}
		if _, err := w.dc.API().ContainerInspect(ctx, s.id, client.ContainerInspectOptions{}); !errdefs.IsNotFound(err) {
			t.Errorf("scratch container %s is still there (inspect: %v)", s.name, err)
		}
		for _, v := range s.volumes {
			if _, err := w.dc.API().VolumeInspect(ctx, v, client.VolumeInspectOptions{}); !errdefs.IsNotFound(err) {
				t.Errorf("scratch container %s's volume %s is still there", s.name, v)
			}
		}
	}
	t.Logf("%d scratch containers of %s: each on network mode none only, gone with its volumes", len(seen), owner)
}

// testRestoreOf waits for a finished test-restore of name with outcome, newer
// than after, and returns it.
func (ta *testAgent) testRestoreOf(t *testing.T, name string, outcome agent.Outcome, after time.Time, timeout time.Duration) agent.TestRestore {
	t.Helper()
	var found agent.TestRestore
	waitUntil(t, timeout, func() string {
		return fmt.Sprintf("no %s test-restore of %s after %s: %+v", outcome, name, after.Format(time.RFC3339), ta.TestRestores(name, 5))
	}, func() bool {
		for _, tr := range ta.TestRestores(name, 0) {
			if tr.Outcome == outcome && tr.Queued.After(after) {
				found = tr
				return true
			}
		}
		return false
	})
	return found
}

// startReceiver starts a local webhook that keeps what it gets.
func startReceiver(t *testing.T) (*receiver, string) {
	rc := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	srv := httptest.NewServer(rc)
	t.Cleanup(func() { close(rc.hang); srv.Close() })
	return rc, srv.URL + "/webhook"
}

// events decodes what a receiver got at /webhook of one kind.
func (rc *receiver) events(kind string) []map[string]any {
	var out []map[string]any
	for _, body := range rc.got("/webhook") {
		var e map[string]any
		if json.Unmarshal([]byte(body), &e) == nil && e["event"] == kind {
			out = append(out, e)
		}
	}
	return out
}

// getWith GETs url with a bearer token and decodes the JSON answer.
func getWith(t *testing.T, url, token string, out any) {
	t.Helper()
	if code := api(t, http.MethodGet, url, token, nil, out); code != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, code)
	}
}

// checkOf returns the named check of a test-restore.
func checkOf(tr agent.TestRestore, name string) (agent.TestCheck, bool) {
	for _, c := range tr.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return agent.TestCheck{}, false
}
