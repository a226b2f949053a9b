package main

import (
	"context"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
)

// connectDocker connects to the Docker endpoint the settings name (BT_DOCKER_URL
// with BT_SSL, BT_CA, BT_CERT, BT_KEY, else DOCKER_HOST and Docker's own TLS
// variables; config.Config.Docker) and checks that it answers. Every command that
// talks to Docker connects here; a problem with those settings stops it, naming
// the variable.
func (e *runEnv) connectDocker(ctx context.Context) (*docker.Client, error) {
	cfg, err := e.settings(config.DockerVars...)
	if err != nil {
		return nil, err
	}
	return docker.ConnectTo(ctx, cfg.Docker)
}
