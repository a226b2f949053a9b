package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// OptionsRoute is the API route that changes a volume's options (SetOptions):
// a JSON object of KEY: VALUE, "" unsetting KEY. It answers 200 with the
// volume's options and what changed, 400 for bad options (each named), 404 for
// no such volume, 409 while the change needs the volume unmounted. The agent's
// server serves it behind BT_API_TOKEN (cmd/baktainer/plugin.go).
const OptionsRoute = "PATCH /api/v1/volumes/{name}/options"

// maxOptionsBody caps the request: options are a few public keys at most.
const maxOptionsBody = 64 << 10

// OptionsAnswer is OptionsRoute's answer.
type OptionsAnswer struct {
	Volume  string            `json:"volume"`
	Options map[string]string `json:"options"`
	Changed []string          `json:"changed"`
	Error   string            `json:"error,omitempty"`
}

// OptionsHandler serves OptionsRoute.
func (v *Volumes) OptionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		var changes map[string]string
		body, err := io.ReadAll(io.LimitReader(r.Body, maxOptionsBody+1))
		switch {
		case err != nil:
			answerOptions(w, http.StatusBadRequest, OptionsAnswer{Volume: name, Error: err.Error()})
			return
		case len(body) > maxOptionsBody:
			answerOptions(w, http.StatusRequestEntityTooLarge, OptionsAnswer{Volume: name, Error: fmt.Sprintf("more than %d bytes of options", maxOptionsBody)})
			return
		}
		if err := json.Unmarshal(body, &changes); err != nil {
			answerOptions(w, http.StatusBadRequest, OptionsAnswer{Volume: name,
				Error: fmt.Sprintf("the body must be a JSON object of option names to values (\"\" unsets): %v", err)})
			return
		}
		info, changed, err := v.SetOptions(r.Context(), name, changes)
		if err != nil {
			answerOptions(w, optionsStatus(err), OptionsAnswer{Volume: name, Error: err.Error()})
			return
		}
		answerOptions(w, http.StatusOK, OptionsAnswer{Volume: name, Options: info.RawOptions, Changed: changed})
	})
}

func optionsStatus(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrInUse):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func answerOptions(w http.ResponseWriter, status int, a OptionsAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}
