package main

import (
	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/dashboard"
	"github.com/baktainer/baktainer/metrics"
)

// attachWeb adds Prometheus metrics (/metrics) and the dashboard (/) to the
// agent's HTTP server; /health and /status are the agent's own. Every command
// that runs an agent (standalone, the plugin) calls it before Run.
func attachWeb(a *agent.Agent) error {
	metrics.Attach(a)
	_, err := dashboard.Attach(a)
	return err
}
