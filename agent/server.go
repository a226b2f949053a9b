package agent

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
)

// Server is the agent's one HTTP server: the API here, and health, status, metrics
// and the dashboard added by their own files through Handle and HandlePublic.
type Server struct {
	cfg  config.Server
	mux  *http.ServeMux
	log  *logrus.Entry
	http *http.Server
	addr string
}

func newServer(cfg config.Server, log *logrus.Entry) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: log.WithField("component", "http")}
	s.http = &http.Server{Handler: guardBrowsers(cfg, s.mux), ReadHeaderTimeout: 10 * time.Second} // origin.go
	return s
}

// Handle registers a handler that requires the API token (BT_API_TOKEN) when one
// is set. Patterns are net/http's ("POST /api/v1/backups").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, s.requireToken(h)) }

// HandlePublic registers a handler that never requires the token (/health).
func (s *Server) HandlePublic(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Addr is the address the server listens on, once the agent runs.
func (s *Server) Addr() string { return s.addr }

func (s *Server) requireToken(h http.Handler) http.Handler {
	if s.cfg.APIToken == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.APIToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="baktainer"`)
			writeError(w, http.StatusUnauthorized, "this endpoint needs the API token: Authorization: Bearer <BT_API_TOKEN>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// listen opens the socket, so a port in use fails the start, not later.
func (s *Server) listen(ctx context.Context) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("HTTP server on %s (BT_HEALTH_BIND, BT_HEALTH_PORT): %w", s.cfg.Addr(), err)
	}
	s.addr = ln.Addr().String()
	return ln, nil
}

// serve serves until ctx ends, then shuts down gracefully.
func (s *Server) serve(ctx context.Context, ln net.Listener) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Errorf("HTTP server stopped: %v", err)
		}
	}()
	s.log.Infof("HTTP API listening on http://%s", s.addr)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shutdown)
	<-done
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": strings.TrimSpace(msg)})
}
