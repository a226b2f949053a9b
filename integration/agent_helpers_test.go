//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/server"
)

// testAgent is an agent running in the test process, scoped to one run's containers.
type testAgent struct {
	*agent.Agent
	dir, state string
	url        string
	logs       *syncBuffer
	cancel     context.CancelFunc
	done       chan error
	stopOnce   sync.Once
}

// startAgent starts an agent with the given BT_* settings on top of test defaults:
// its own backup and state directories, the run's label as selector, a free port.
func startAgent(t testing.TB, dc *docker.Client, run string, settings map[string]string, reg *engines.Registry, obs ...agent.Observer) *testAgent {
	t.Helper()
	return startAgentWith(t, agent.Deps{Docker: dc, Engines: reg, Observers: obs}, run, settings)
}

// startAgentWith is startAgent with more of the agent's dependencies set (its Log
// is the test's), and its HTTP server's limits when given (else the defaults).
func startAgentWith(t testing.TB, deps agent.Deps, run string, settings map[string]string, limits ...server.HTTPLimits) *testAgent {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"BT_BACKUP_DIR": dir, "BT_STATE_DIR": dir + "/.state", "BT_SELECTOR": rig.RunLabel + "=" + run,
		"BT_HEALTH_PORT": "0", "BT_BACKUP_RETRY_DELAY": "1s", "BT_LOG_LEVEL": "debug",
	}
	for k, v := range settings {
		env[k] = v
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	l := logrus.New()
	l.SetLevel(cfg.LogLevel)
	l.SetOutput(io.MultiWriter(logs, tbWriter{t}))
	deps.Log = logrus.NewEntry(l)
	a, err := agent.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	lim := server.DefaultHTTPLimits()
	if len(limits) > 0 {
		lim = limits[0]
	}
	srv, err := server.New(a, cfg.Server, lim, deps.Log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	ta := &testAgent{Agent: a, dir: dir, state: cfg.StateDir, logs: logs, cancel: cancel, done: make(chan error, 1)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	go func() { err := a.Run(ctx); cancel(); ta.done <- errors.Join(err, <-served) }()
	select {
	case <-a.Ready():
	case err := <-ta.done:
		t.Fatalf("agent stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("agent not ready after 30s")
	}
	ta.url = "http://" + srv.Addr()
	t.Cleanup(ta.stop)
	return ta
}

// stop stops the agent and waits for it; a second call (a test's own, then its
// cleanup's) returns at once.
func (ta *testAgent) stop() {
	ta.stopOnce.Do(func() {
		ta.cancel()
		select {
		case <-ta.done:
		case <-time.After(60 * time.Second):
			panic("agent did not stop within 60s")
		}
	})
}

// waitUntil polls cond until it holds, failing the test with what() after timeout.
func waitUntil(t testing.TB, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// attempts returns the agent's history (finished attempts) of one backup name.
func (ta *testAgent) attempts(name string) []agent.Attempt {
	if h := ta.History(); h != nil {
		return h.Recent(name, 0)
	}
	return nil
}

func count(atts []agent.Attempt, outcome agent.Outcome) int {
	n := 0
	for _, a := range atts {
		if a.Outcome == outcome {
			n++
		}
	}
	return n
}

// target returns the agent's status of a container, if registered.
func (ta *testAgent) target(container string) (agent.TargetStatus, bool) {
	for _, s := range ta.Targets() {
		if s.Container == container {
			return s, true
		}
	}
	return agent.TargetStatus{}, false
}

// api calls the agent's HTTP API and decodes the JSON answer.
func api(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s: %s", method, url, resp.Status, b)
		}
	}
	return resp.StatusCode
}

// apiQuiet is a GET that reports failure as status 0 instead of failing the test.
func apiQuiet(url string, out any) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, out) != nil {
		return 0
	}
	return resp.StatusCode
}

// startTinies starts n tiny containers at once through the API (a few in parallel)
// and returns their names; they are removed when the test ends.
func startTinies(t testing.TB, dc *docker.Client, prefix string, n int, labels func(i int) map[string]string) []string {
	t.Helper()
	names := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, name := range names {
			if name == "" {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer func() { <-sem; wg.Done() }(); rig.Remove(dc, name) }()
		}
		wg.Wait()
	})
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := fmt.Sprintf("%s-%03d-%s", prefix, i, rig.RunID())
			ctx := context.Background()
			created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{
				Name:       name,
				Config:     &container.Config{Image: rig.TinyImage, Labels: labels(i)},
				HostConfig: &container.HostConfig{NetworkMode: "none"},
			})
			if err != nil {
				errs[i] = err
				return
			}
			names[i] = name
			if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start tiny container %d: %v", i, err)
		}
	}
	return names
}

// standinLabels labels a tiny container as a stand-in database of this run.
func standinLabels(run string, extra ...string) map[string]string {
	l := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": standinEngineLabel, rig.RunLabel: run}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// tbWriter sends log lines to the test's log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Contains(s string) bool { return strings.Contains(b.String(), s) }
