package docker

import (
	"fmt"

	"github.com/moby/moby/client"
)

// Dial makes a client without contacting the daemon, for long-running callers (the
// agent) that must start before the daemon answers and reconnect on their own. An
// empty host means the standard DOCKER_HOST / DOCKER_* environment; otherwise host is
// a daemon address such as unix:///var/run/docker.sock.
func Dial(host string) (*Client, error) {
	opts := []client.Opt{client.FromEnv} // the client negotiates the API version by itself
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: configure client: %w", err)
	}
	return &Client{api: api}, nil
}

// Host returns the daemon address the client talks to.
func (c *Client) Host() string { return c.api.DaemonHost() }
