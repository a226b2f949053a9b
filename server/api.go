package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/baktainer/baktainer/agent"
)

// maxRequestBody bounds what a run-now request may send.
const maxRequestBody = 64 << 10

// apiRoutes registers the API, behind the token.
func (s *Server) apiRoutes() {
	s.Handle("POST /api/v1/backups", http.HandlerFunc(s.postBackup))
	s.Handle("GET /api/v1/backups", http.HandlerFunc(s.listBackups))
	s.Handle("GET /api/v1/backups/{id}", http.HandlerFunc(s.getBackup))
	s.Handle("GET /api/v1/targets", http.HandlerFunc(s.listTargets))
	s.verifyRoutes()
}

// postBackup queues a backup now: 202 with the attempt; 404 for a container that is
// not a target; 409 when one is already queued or running; 422 for bad labels.
func (s *Server) postBackup(w http.ResponseWriter, r *http.Request) {
	container, ok := containerRequest(w, r)
	if !ok {
		return
	}
	att, err := s.agent.RunNow(container)
	var busy *agent.BusyError
	var running any
	if errors.As(err, &busy) {
		running = busy.Attempt
	}
	writeQueued(w, err, "/api/v1/backups/"+att.ID, att, "attempt", running)
}

// listBackups returns attempts newest first: the queued and running ones, then the
// history; ?name= filters by backup name, ?limit= bounds the list (default 100).
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	if limit, ok := limitParam(w, r); ok {
		writeJSON(w, http.StatusOK, s.agent.Attempts(r.URL.Query().Get("name"), limit))
	}
}

func (s *Server) getBackup(w http.ResponseWriter, r *http.Request) {
	att, ok := s.agent.Attempt(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such attempt")
		return
	}
	writeJSON(w, http.StatusOK, att)
}

func (s *Server) listTargets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	writeJSON(w, http.StatusOK, s.agent.CheckedTargets(ctx))
}
