package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
)

// fakeAgent answers the server from fields the test sets.
type fakeAgent struct {
	ready     chan struct{}
	runNow    func(ref string) (agent.Attempt, error)
	attempts  map[string]agent.Attempt
	health    agent.Health
	observers []agent.Observer
	asked     []string // the name and limit of each Attempts call

	runTestRestore    func(ref string) (agent.TestRestore, error)
	testRestores      map[string]agent.TestRestore
	askedTestRestores []string // the name and limit of each TestRestores call
}

var _ Agent = (*fakeAgent)(nil)

func newFakeAgent() *fakeAgent {
	f := &fakeAgent{ready: make(chan struct{}), attempts: map[string]agent.Attempt{}, testRestores: map[string]agent.TestRestore{},
		health: agent.NewHealth([]agent.CheckResult{{Check: "docker", OK: true, Detail: "the daemon answers"}}, time.Now())}
	close(f.ready)
	return f
}

func (f *fakeAgent) Ready() <-chan struct{}                   { return f.ready }
func (f *fakeAgent) AddObserver(o agent.Observer)             { f.observers = append(f.observers, o) }
func (f *fakeAgent) RunNow(ref string) (agent.Attempt, error) { return f.runNow(ref) }
func (f *fakeAgent) Attempt(id string) (agent.Attempt, bool) {
	a, ok := f.attempts[id]
	return a, ok
}
func (f *fakeAgent) Attempts(name string, limit int) []agent.Attempt {
	f.asked = append(f.asked, fmt.Sprintf("%s/%d", name, limit))
	return []agent.Attempt{{ID: "a1", Name: name}}
}
func (f *fakeAgent) CheckedTargets(context.Context) []agent.TargetStatus {
	return []agent.TargetStatus{{TargetInfo: agent.TargetInfo{Name: "shop", Container: "shop-db"}}}
}
func (f *fakeAgent) Health(context.Context) agent.Health { return f.health }
func (f *fakeAgent) Status(context.Context) agent.Status {
	return agent.Status{SchemaVersion: agent.StatusSchemaVersion, Targets: []agent.TargetReport{}}
}
func (f *fakeAgent) RecentAttempts(string, int) []agent.Attempt                 { return nil }
func (f *fakeAgent) TargetReports(context.Context) []agent.TargetReport         { return nil }
func (f *fakeAgent) DestinationStats(context.Context) []agent.DestinationStatus { return nil }
func (f *fakeAgent) Connected() (bool, time.Time)                               { return true, time.Now() }
func (f *fakeAgent) Active() []agent.Attempt                                    { return nil }
func (f *fakeAgent) RunTestRestore(ref string) (agent.TestRestore, error) {
	return f.runTestRestore(ref)
}
func (f *fakeAgent) TestRestoreByID(id string) (agent.TestRestore, bool) {
	tr, ok := f.testRestores[id]
	return tr, ok
}
func (f *fakeAgent) TestRestores(name string, limit int) []agent.TestRestore {
	f.askedTestRestores = append(f.askedTestRestores, fmt.Sprintf("%s/%d", name, limit))
	return []agent.TestRestore{{ID: "t1", Name: name}}
}

func testServer(t *testing.T, a Agent, token string) *Server {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	s, err := New(a, config.Server{Bind: "127.0.0.1", APIToken: token}, DefaultHTTPLimits(), logrus.NewEntry(log))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends one request through the whole handler chain (origin guard, token).
func do(s *Server, method, target, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	s.http.Handler.ServeHTTP(w, r)
	return w
}

func TestRunNowAnswers(t *testing.T) {
	queued := agent.Attempt{ID: "20260101T000000Z-abc", Name: "shop", Outcome: agent.Queued}
	for _, tc := range []struct {
		name     string
		body     string
		result   error
		status   int
		location string
		says     string
	}{
		{"queued", `{"container":"shop-db"}`, nil, http.StatusAccepted, "/api/v1/backups/" + queued.ID, `"outcome": "queued"`},
		{"already running", `{"container":"shop-db"}`, &agent.BusyError{Attempt: queued}, http.StatusConflict, "", `"attempt": {`},
		{"wrong labels", `{"container":"shop-db"}`, &agent.InvalidTargetError{Problem: "label baktainer.db.engine is missing"}, http.StatusUnprocessableEntity, "", "is missing"},
		{"not a target", `{"container":"web"}`, fmt.Errorf("container %q: %w", "web", agent.ErrUnknownTarget), http.StatusNotFound, "", "not a backup target"},
		{"stopping", `{"container":"shop-db"}`, errors.New("agent: shutting down"), http.StatusServiceUnavailable, "", "shutting down"},
		{"no container", `{}`, nil, http.StatusBadRequest, "", `send {\"container\": \"NAME\"}`},
		{"not JSON", `shop-db`, nil, http.StatusBadRequest, "", "send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFakeAgent()
			a.runNow = func(string) (agent.Attempt, error) { return queued, tc.result }
			w := do(testServer(t, a, ""), "POST", "/api/v1/backups", "", tc.body)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location || !strings.Contains(w.Body.String(), tc.says) {
				t.Errorf("HTTP %d, Location %q: %s; want %d, %q, %q", w.Code, w.Header().Get("Location"), w.Body, tc.status, tc.location, tc.says)
			}
		})
	}
}

func TestAttemptsAndTargets(t *testing.T) {
	a := newFakeAgent()
	a.attempts["known"] = agent.Attempt{ID: "known", Name: "shop", Outcome: agent.Succeeded}
	s := testServer(t, a, "")
	for _, tc := range []struct {
		target string
		status int
		says   string
	}{
		{"/api/v1/backups", 200, `"id": "a1"`},
		{"/api/v1/backups?name=shop&limit=5", 200, `"name": "shop"`},
		{"/api/v1/backups?limit=0", 400, "positive"},
		{"/api/v1/backups?limit=ten", 400, "positive"},
		{"/api/v1/backups/known", 200, `"outcome": "succeeded"`},
		{"/api/v1/backups/unknown", 404, "no such attempt"},
		{"/api/v1/targets", 200, `"container": "shop-db"`},
		{"/status", 200, `"schema_version": 1`},
	} {
		if w := do(s, "GET", tc.target, "", ""); w.Code != tc.status || !strings.Contains(w.Body.String(), tc.says) {
			t.Errorf("GET %s: HTTP %d: %s; want %d with %q", tc.target, w.Code, w.Body, tc.status, tc.says)
		}
	}
	if got := strings.Join(a.asked, " "); got != "/100 shop/5" {
		t.Errorf("Attempts asked for %q; want the default limit 100, then name shop, limit 5", got)
	}
}

// With BT_API_TOKEN set, everything but /health, the dashboard's page and its
// assets needs it; /health without it says the status and counts only.
func TestTokenGuardsAllButHealthAndThePage(t *testing.T) {
	const token = "0123456789abcdef0123"
	a := newFakeAgent()
	a.health = agent.NewHealth([]agent.CheckResult{{Check: "target", Subject: "shop", Detail: "overdue"}}, time.Now())
	s := testServer(t, a, token)
	for _, target := range []string{"/api/v1/backups", "/api/v1/targets", "/status", "/metrics", "/dashboard/targets"} {
		if w := do(s, "GET", target, "", ""); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s without the token: HTTP %d", target, w.Code)
		}
		if w := do(s, "GET", target, "wrong", ""); w.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: HTTP %d", target, w.Code)
		}
		if w := do(s, "GET", target, token, ""); w.Code != http.StatusOK {
			t.Errorf("GET %s with the token: HTTP %d: %s", target, w.Code, w.Body)
		}
	}
	if w := do(s, "POST", "/api/v1/backups", "", `{"container":"shop"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("POST without the token: HTTP %d", w.Code)
	}
	for _, target := range []string{"/", "/assets/dashboard.js"} {
		if w := do(s, "GET", target, "", ""); w.Code != http.StatusOK {
			t.Errorf("GET %s without the token: HTTP %d", target, w.Code)
		}
	}

	w := do(s, "GET", "/health", "", "")
	var summary map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &summary); err != nil || w.Code != http.StatusServiceUnavailable {
		t.Fatalf("/health without the token: HTTP %d, %v", w.Code, err)
	}
	if _, named := summary["reasons"]; named || strings.Contains(w.Body.String(), "shop") {
		t.Errorf("/health without the token names what it checked: %s", w.Body)
	}
	if w := do(s, "GET", "/health", token, ""); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "target shop: overdue") {
		t.Errorf("/health with the token: HTTP %d: %s", w.Code, w.Body)
	}
}

func TestHealthIs200OnlyWhenHealthy(t *testing.T) {
	a := newFakeAgent()
	s := testServer(t, a, "")
	if w := do(s, "GET", "/health", "", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status": "ok"`) {
		t.Errorf("healthy: HTTP %d: %s", w.Code, w.Body)
	}
	a.health = agent.NewHealth([]agent.CheckResult{{Check: "docker", Detail: "does not answer"}}, time.Now())
	if w := do(s, "GET", "/health", "", ""); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "docker: does not answer") {
		t.Errorf("unhealthy: HTTP %d: %s", w.Code, w.Body)
	}
}

// The server subscribes its metrics to the agent, and answers no request before
// the agent is ready: connections wait in the backlog.
func TestServeWaitsForTheAgent(t *testing.T) {
	a := newFakeAgent()
	a.ready = make(chan struct{})
	s := testServer(t, a, "")
	if len(a.observers) != 1 {
		t.Fatalf("%d observers added; want the metrics", len(a.observers))
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/health")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		t.Fatalf("answered before the agent was ready (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(a.ready)
	if err := <-answered; err != nil {
		t.Fatalf("once ready: %v", err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve after ctx ended: %v", err)
	}
}

func TestListenNamesTheSettings(t *testing.T) {
	s := testServer(t, newFakeAgent(), "")
	if err := s.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	taken := newServer(config.Server{Bind: "127.0.0.1", Port: portOf(t, s.Addr())}, DefaultHTTPLimits(), logrus.NewEntry(logrus.New()))
	if err := taken.Listen(context.Background()); err == nil || !strings.Contains(err.Error(), "(BT_HEALTH_BIND, BT_HEALTH_PORT)") {
		t.Errorf("Listen on a port in use: %v", err)
	}
	if err := taken.Serve(context.Background()); err == nil {
		t.Error("Serve without a socket succeeded")
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	var port int
	if _, err := fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}
