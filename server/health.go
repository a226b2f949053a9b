package server

import (
	"context"
	"net/http"

	"github.com/baktainer/baktainer/agent"
)

// healthRoutes registers /health (never behind the token: load balancers and
// orchestrators probe it) and /status.
func (s *Server) healthRoutes() {
	s.HandlePublic("GET /health", http.HandlerFunc(s.serveHealth))
	s.Handle("GET /status", http.HandlerFunc(s.serveStatus))
}

// serveHealth answers /health: 200 when healthy, 503 with the reasons otherwise
// (without the API token, when one is set: status and counts only).
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	ServeHealth(w, s.agent.Health(ctx), s.Authorized(r))
}

// serveStatus answers /status.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	writeJSON(w, http.StatusOK, s.agent.Status(ctx))
}

// ServeHealth writes h as /health does: 200 when ok, else 503; to a client that
// is not authorized (see Server.Authorized) only h's Summary. The plugin's
// refusing server answers with it too.
func ServeHealth(w http.ResponseWriter, h agent.Health, authorized bool) {
	status := http.StatusOK
	if !h.OK() {
		status = http.StatusServiceUnavailable
	}
	if !authorized {
		writeJSON(w, status, h.Summary())
		return
	}
	writeJSON(w, status, h)
}
