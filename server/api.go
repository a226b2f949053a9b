package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

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
	var req agent.BackupRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req); err != nil || req.Container == "" {
		writeError(w, http.StatusBadRequest, `send {"container": "NAME"}`)
		return
	}
	att, err := s.agent.RunNow(req.Container)
	var busy *agent.BusyError
	var invalid *agent.InvalidTargetError
	switch {
	case err == nil:
		w.Header().Set("Location", "/api/v1/backups/"+att.ID)
		writeJSON(w, http.StatusAccepted, att)
	case errors.As(err, &busy):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "attempt": busy.Attempt})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, agent.ErrUnknownTarget):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

// listBackups returns attempts newest first: the queued and running ones, then the
// history; ?name= filters by backup name, ?limit= bounds the list (default 100).
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = n
	}
	writeJSON(w, http.StatusOK, s.agent.Attempts(r.URL.Query().Get("name"), limit))
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
