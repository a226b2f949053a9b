package server

import (
	"errors"
	"net/http"

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
	container, ok := containerRequest(w, r)
	if !ok {
		return
	}
	tr, err := s.agent.RunTestRestore(container)
	var busy *agent.TestRestoreBusyError
	var running any
	if errors.As(err, &busy) {
		running = busy.TestRestore
	}
	writeQueued(w, err, "/api/v1/verify/"+tr.ID, tr, "test_restore", running)
}

// listTestRestores returns test-restores newest first; ?name= and ?limit= as
// for GET /api/v1/backups.
func (s *Server) listTestRestores(w http.ResponseWriter, r *http.Request) {
	if limit, ok := limitParam(w, r); ok {
		writeJSON(w, http.StatusOK, s.agent.TestRestores(r.URL.Query().Get("name"), limit))
	}
}

func (s *Server) getTestRestore(w http.ResponseWriter, r *http.Request) {
	tr, ok := s.agent.TestRestoreByID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such test-restore")
		return
	}
	writeJSON(w, http.StatusOK, tr)
}
