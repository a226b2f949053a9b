package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/baktainer/baktainer/agent"
)

// verifyRoutes registers the test-restore API, behind the token and the browser
// guard as run-now is. A real restore into a live container has no endpoint: it
// stays with `baktainer restore` on the command line.
func (s *Server) verifyRoutes() {
	s.Handle("POST /api/v1/verify", http.HandlerFunc(s.postTestRestore))
	s.Handle("GET /api/v1/verify", http.HandlerFunc(s.listTestRestores))
	s.Handle("GET /api/v1/verify/{id}", http.HandlerFunc(s.getTestRestore))
}

// postTestRestore queues a test-restore of a target's newest archive: 202 with
// it; 404 for a container that is no target; 409 when one is queued or running
// already; 422 for bad labels.
func (s *Server) postTestRestore(w http.ResponseWriter, r *http.Request) {
	var req agent.TestRestoreRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req); err != nil || req.Container == "" {
		writeError(w, http.StatusBadRequest, `send {"container": "NAME"}`)
		return
	}
	tr, err := s.agent.RunTestRestore(req.Container)
	var busy *agent.TestRestoreBusyError
	var invalid *agent.InvalidTargetError
	switch {
	case err == nil:
		w.Header().Set("Location", "/api/v1/verify/"+tr.ID)
		writeJSON(w, http.StatusAccepted, tr)
	case errors.As(err, &busy):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "test_restore": busy.TestRestore})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, agent.ErrUnknownTarget):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

// listTestRestores returns test-restores newest first; ?name= and ?limit= as
// for GET /api/v1/backups.
func (s *Server) listTestRestores(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = n
	}
	writeJSON(w, http.StatusOK, s.agent.TestRestores(r.URL.Query().Get("name"), limit))
}

func (s *Server) getTestRestore(w http.ResponseWriter, r *http.Request) {
	tr, ok := s.agent.TestRestoreByID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such test-restore")
		return
	}
	writeJSON(w, http.StatusOK, tr)
}
