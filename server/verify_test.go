package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/agent"
)

func TestTestRestoreAnswers(t *testing.T) {
	queued := agent.TestRestore{ID: "20260101T000000Z-abc", Name: "shop", Outcome: agent.Queued}
	for _, tc := range []struct {
		name     string
		body     string
		result   error
		status   int
		location string
		says     string
	}{
		{"queued", `{"container":"shop-db"}`, nil, http.StatusAccepted, "/api/v1/verify/" + queued.ID, `"outcome": "queued"`},
		{"already queued", `{"container":"shop-db"}`, &agent.TestRestoreBusyError{TestRestore: queued}, http.StatusConflict, "", `"test_restore": {`},
		{"wrong labels", `{"container":"shop-db"}`, &agent.InvalidTargetError{Problem: "label baktainer.db.engine is missing"}, http.StatusUnprocessableEntity, "", "is missing"},
		{"not a target", `{"container":"web"}`, fmt.Errorf("container %q: %w", "web", agent.ErrUnknownTarget), http.StatusNotFound, "", "not a backup target"},
		{"stopping", `{"container":"shop-db"}`, errors.New("agent: shutting down"), http.StatusServiceUnavailable, "", "shutting down"},
		{"no container", `{}`, nil, http.StatusBadRequest, "", `send {\"container\": \"NAME\"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFakeAgent()
			a.runTestRestore = func(string) (agent.TestRestore, error) { return queued, tc.result }
			w := do(testServer(t, a, ""), "POST", "/api/v1/verify", "", tc.body)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location || !strings.Contains(w.Body.String(), tc.says) {
				t.Errorf("HTTP %d, Location %q: %s; want %d, %q, %q", w.Code, w.Header().Get("Location"), w.Body, tc.status, tc.location, tc.says)
			}
		})
	}
}

func TestTestRestoresListed(t *testing.T) {
	a := newFakeAgent()
	a.testRestores["known"] = agent.TestRestore{ID: "known", Name: "shop", Outcome: agent.Failed, FailedCheck: "rows of app.t"}
	s := testServer(t, a, "")
	for _, tc := range []struct {
		target string
		status int
		says   string
	}{
		{"/api/v1/verify", 200, `"id": "t1"`},
		{"/api/v1/verify?name=shop&limit=5", 200, `"name": "shop"`},
		{"/api/v1/verify?limit=-1", 400, "positive"},
		{"/api/v1/verify/known", 200, `"failed_check": "rows of app.t"`},
		{"/api/v1/verify/unknown", 404, "no such test-restore"},
	} {
		if w := do(s, "GET", tc.target, "", ""); w.Code != tc.status || !strings.Contains(w.Body.String(), tc.says) {
			t.Errorf("GET %s: HTTP %d: %s; want %d with %q", tc.target, w.Code, w.Body, tc.status, tc.says)
		}
	}
	if got := strings.Join(a.askedTestRestores, " "); got != "/100 shop/5" {
		t.Errorf("TestRestores asked for %q", got)
	}
}

// POST /api/v1/verify has run-now's rules: the token, and no browser of
// another origin.
func TestTestRestoreNeedsTheTokenAndTheOrigin(t *testing.T) {
	const token = "0123456789abcdef0123"
	asked := 0
	a := newFakeAgent()
	a.runTestRestore = func(string) (agent.TestRestore, error) { asked++; return agent.TestRestore{ID: "x"}, nil }
	s := testServer(t, a, token)
	for _, target := range []string{"/api/v1/verify", "/api/v1/verify/x"} {
		if w := do(s, "GET", target, "", ""); w.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: HTTP %d", target, w.Code)
		}
	}
	if w := do(s, "POST", "/api/v1/verify", "", `{"container":"shop"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("POST without the token: HTTP %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(`{"container":"shop"}`))
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Origin", "http://evil.example")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	s.http.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("a cross-site POST with the token: HTTP %d", w.Code)
	}
	if asked != 0 {
		t.Errorf("%d test-restores asked for by refused requests", asked)
	}
	if w := do(s, "POST", "/api/v1/verify", token, `{"container":"shop"}`); w.Code != http.StatusAccepted || asked != 1 {
		t.Errorf("POST with the token: HTTP %d, %d asked", w.Code, asked)
	}
	// Without a token, a browser must name the agent by address.
	s = testServer(t, a, "")
	r = httptest.NewRequest("POST", "http://evil.example:8080/api/v1/verify", strings.NewReader(`{"container":"shop"}`))
	r.Host = "evil.example:8080"
	r.Header.Set("Origin", "http://evil.example:8080")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w = httptest.NewRecorder()
	s.http.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || asked != 1 {
		t.Errorf("a rebound host name: HTTP %d, %d asked", w.Code, asked)
	}
}

// No real restore into a live container through HTTP: only test-restores.
func TestNoRestoreEndpoint(t *testing.T) {
	s := testServer(t, newFakeAgent(), "")
	for _, target := range []string{"/api/v1/restore", "/api/v1/restores", "/api/v1/verify/x/restore"} {
		if w := do(s, "POST", target, "", `{"container":"shop"}`); w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: HTTP %d", target, w.Code)
		}
	}
}
