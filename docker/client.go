// Package docker is baktainer's narrow view of the Docker Engine API: connecting,
// listing and inspecting containers, and running commands inside them. It wraps
// github.com/moby/moby/client so the rest of baktainer depends on a few methods only.
package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// Client talks to one Docker Engine.
type Client struct {
	api *client.Client
}

// Connect makes a client from the standard DOCKER_HOST / DOCKER_* environment,
// negotiating the API version with the daemon (baktainer supports API 1.41 and later),
// and checks that the daemon answers.
func Connect(ctx context.Context) (*Client, error) {
	api, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker: configure client: %w", err)
	}
	c := &Client{api: api}
	if err := c.Ping(ctx); err != nil {
		_ = api.Close()
		return nil, err
	}
	return c, nil
}

// Ping checks that the daemon answers.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("docker: daemon at %s does not answer: %w", c.api.DaemonHost(), err)
	}
	return nil
}

// API returns the underlying Engine API client, for the few callers (tests, the
// plugin packaging) that need calls this package does not wrap.
func (c *Client) API() *client.Client { return c.api }

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }
