package main

import (
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/server"
)

// agentTasks are what every command that runs an agent (standalone, the plugin)
// runs: the agent, and its HTTP server (the API, /health, /status, /metrics and
// the dashboard) when BT_HEALTH_SERVER_ENABLED. srv is built before the agent
// runs, so the caller may add routes; it is nil when the server is off.
func agentTasks(a *agent.Agent, cfg config.Config, log *logrus.Entry) (tasks []task, srv *server.Server, err error) {
	tasks = []task{{"agent", a.Run}}
	if !cfg.Server.Enabled {
		return tasks, nil, nil
	}
	srv, err = server.New(a, cfg.Server, server.DefaultHTTPLimits(), log)
	if err != nil {
		return nil, nil, err
	}
	return append(tasks, task{"HTTP server", srv.Run}), srv, nil
}
