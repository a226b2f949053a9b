package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/baktainer/baktainer/agent"
)

// The rules POST /api/v1/backups and POST /api/v1/verify share: the request's
// shape, the answer to what was queued, and ?limit= on their listings.

// containerRequest reads {"container": "NAME"}; false after answering 400.
func containerRequest(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req agent.BackupRequest // the same shape as agent.TestRestoreRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req); err != nil || req.Container == "" {
		writeError(w, http.StatusBadRequest, `send {"container": "NAME"}`)
		return "", false
	}
	return req.Container, true
}

// writeQueued answers a request to queue work: 202 with what was queued at
// location; 409 with the queued or running one when busyWith is not nil (under
// busyKey); 422 for a target whose labels are wrong; 404 for one that is not a
// target; else 503.
func writeQueued(w http.ResponseWriter, err error, location string, queued any, busyKey string, busyWith any) {
	var invalid *agent.InvalidTargetError
	switch {
	case err == nil:
		w.Header().Set("Location", location)
		writeJSON(w, http.StatusAccepted, queued)
	case busyWith != nil:
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), busyKey: busyWith})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, agent.ErrUnknownTarget):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

// limitParam reads ?limit= (default 100); false after answering 400.
func limitParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "limit must be a positive number")
		return 0, false
	}
	return n, true
}
