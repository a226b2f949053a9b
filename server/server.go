// Package server is the agent's one HTTP server: the API (run-now, attempts,
// targets), /health, /status, Prometheus /metrics and the dashboard, behind one
// set of connection limits, the API token and a guard against other sites'
// pages. It reads the agent only through the Agent interface.
package server

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
	"golang.org/x/net/netutil"

	"github.com/baktainer/baktainer/config"
)

// Server serves one agent. Build it with New, add routes with Handle, then Run
// it (or Listen, then Serve).
type Server struct {
	agent Agent
	cfg   config.Server
	lim   HTTPLimits
	mux   *http.ServeMux
	log   *logrus.Entry
	http  *http.Server
	ln    net.Listener
}

// HTTPLimits bound what clients can hold of an HTTP server.
type HTTPLimits struct {
	MaxConns          int           // connections served at once; more wait to be accepted
	ReadHeaderTimeout time.Duration // to send a request's headers
	ReadTimeout       time.Duration // to send a whole request, body included
	WriteTimeout      time.Duration // from the end of the headers to the end of the answer
	IdleTimeout       time.Duration // a kept-alive connection without a request
}

// DefaultHTTPLimits are the limits of the agent's server. Its requests are small
// (the largest body, a run-now, is read up to 64 KiB) and its answers quick
// (/health and /status wait at most requestTimeout for slow parts); its clients
// are a few dashboards, probes and a Prometheus.
func DefaultHTTPLimits() HTTPLimits {
	return HTTPLimits{MaxConns: 64, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
}

// maxHeaderBytes bounds a request's headers (net/http's default is 1 MiB).
const maxHeaderBytes = 64 << 10

// requestTimeout bounds the work of one /health, /status or targets request;
// its slow parts (Docker, the destinations' listing) have shorter bounds of
// their own.
const requestTimeout = 15 * time.Second

// Server returns an http.Server for h with the limits' timeouts. Serve it on
// Listener(ln), which holds the connection limit.
func (l HTTPLimits) Server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: maxHeaderBytes}
}

// Listener returns ln accepting at most MaxConns connections at once: the next
// waits in the kernel's backlog until one closes.
func (l HTTPLimits) Listener(ln net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, l.MaxConns)
}

// New builds a's server with cfg (BT_HEALTH_*, BT_API_TOKEN) and lim: the API,
// /health, /status, /metrics (an observer of a) and the dashboard. Call it
// before a runs.
func New(a Agent, cfg config.Server, lim HTTPLimits, log *logrus.Entry) (*Server, error) {
	s := newServer(cfg, lim, log)
	s.agent = a
	s.apiRoutes()
	s.healthRoutes()
	if err := s.webRoutes(); err != nil {
		return nil, err
	}
	return s, nil
}

// newServer is a server without routes.
func newServer(cfg config.Server, lim HTTPLimits, log *logrus.Entry) *Server {
	s := &Server{cfg: cfg, lim: lim, mux: http.NewServeMux(), log: log.WithField("component", "http")}
	s.http = lim.Server(guardBrowsers(cfg, s.mux)) // origin.go
	return s
}

// Handle registers a handler that requires the API token (BT_API_TOKEN) when one
// is set. Patterns are net/http's ("POST /api/v1/backups").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, s.requireToken(h)) }

// HandlePublic registers a handler that never requires the token (/health, which
// tells a client without it less: see Authorized).
func (s *Server) HandlePublic(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Addr is the address the server listens on, once Listen returned.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Authorized reports whether r may see everything: no API token is set, or r
// carries it.
func (s *Server) Authorized(r *http.Request) bool {
	if s.cfg.APIToken == "" {
		return true
	}
	want := []byte("Bearer " + s.cfg.APIToken)
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1
}

func (s *Server) requireToken(h http.Handler) http.Handler {
	if s.cfg.APIToken == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="baktainer"`)
			writeError(w, http.StatusUnauthorized, "this endpoint needs the API token: Authorization: Bearer <BT_API_TOKEN>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Run listens, then serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(ctx); err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Listen opens the socket (BT_HEALTH_BIND, BT_HEALTH_PORT), so a port in use
// fails the start, not later.
func (s *Server) Listen(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s (BT_HEALTH_BIND, BT_HEALTH_PORT): %w", s.cfg.Addr(), err)
	}
	s.ln = ln
	return nil
}

// Serve serves on the socket Listen opened until ctx ends, then shuts down
// gracefully. Connections wait in the backlog until the agent is ready.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("server: Serve before Listen")
	}
	defer s.ln.Close()
	if s.agent != nil {
		select {
		case <-s.agent.Ready():
		case <-ctx.Done():
			return nil
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A server that stops on its own is logged; the agent goes on backing up.
		if err := s.http.Serve(s.lim.Listener(s.ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Errorf("HTTP server stopped: %v", err)
		}
	}()
	s.log.Infof("HTTP API listening on http://%s", s.Addr())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shutdown)
	<-done
	return nil
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
