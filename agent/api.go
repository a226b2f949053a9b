package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
)

// BackupRequest is the body of POST /api/v1/backups.
type BackupRequest struct {
	Container string `json:"container"` // container name or ID, or backup name
}

// routes registers the agent's API.
func (a *Agent) routes(s *Server) {
	s.Handle("POST /api/v1/backups", http.HandlerFunc(a.postBackup))
	s.Handle("GET /api/v1/backups", http.HandlerFunc(a.listBackups))
	s.Handle("GET /api/v1/backups/{id}", http.HandlerFunc(a.getBackup))
	s.Handle("GET /api/v1/targets", http.HandlerFunc(a.listTargets))
	a.statusRoutes(s) // /health and /status (status.go)
}

// postBackup queues a backup now: 202 with the attempt; 404 for a container that is
// not a target; 409 when one is already queued or running; 422 for bad labels.
func (a *Agent) postBackup(w http.ResponseWriter, r *http.Request) {
	var req BackupRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || req.Container == "" {
		writeError(w, http.StatusBadRequest, `send {"container": "NAME"}`)
		return
	}
	att, err := a.RunNow(req.Container)
	var busy *BusyError
	var invalid *InvalidTargetError
	switch {
	case err == nil:
		w.Header().Set("Location", "/api/v1/backups/"+att.ID)
		writeJSON(w, http.StatusAccepted, att)
	case errors.As(err, &busy):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "attempt": busy.Attempt})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, ErrUnknownTarget):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

// listBackups returns attempts newest first: the queued and running ones, then the
// history; ?name= filters by backup name, ?limit= bounds the list (default 100).
func (a *Agent) listBackups(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = n
	}
	var out []Attempt
	a.mu.Lock()
	for _, att := range a.active {
		if name == "" || att.Name == name {
			out = append(out, *att)
		}
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Queued.After(out[j].Queued) })
	if a.history != nil {
		seen := make(map[string]bool, len(out))
		for _, att := range out {
			seen[att.ID] = true
		}
		for _, att := range a.history.Recent(name, limit) {
			if !seen[att.ID] { // finished while we looked
				out = append(out, att)
			}
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Attempt{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Agent) getBackup(w http.ResponseWriter, r *http.Request) {
	att, ok := a.Attempt(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such attempt")
		return
	}
	writeJSON(w, http.StatusOK, att)
}

func (a *Agent) listTargets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	writeJSON(w, http.StatusOK, a.CheckedTargets(ctx))
}
