package server

import (
	"net/http"

	"github.com/baktainer/baktainer/dashboard"
	"github.com/baktainer/baktainer/metrics"
)

// webRoutes adds Prometheus metrics and the dashboard. /metrics is behind the
// token; the dashboard's page and assets are public (they carry no data when a
// token is required), its content is behind the token.
func (s *Server) webRoutes() error {
	m := metrics.New(s.agent)
	s.agent.AddObserver(m)
	s.Handle("GET /metrics", m.Handler())

	d, err := dashboard.New(s.agent, s.cfg.APIToken != "")
	if err != nil {
		return err
	}
	s.HandlePublic("GET /{$}", http.HandlerFunc(d.ServePage))
	s.HandlePublic("GET /assets/", http.HandlerFunc(d.ServeAsset))
	s.Handle("GET /dashboard/targets", http.HandlerFunc(d.ServeContent))
	return nil
}
