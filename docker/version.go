package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// DaemonVersion is what the engine says about itself, for status pages.
type DaemonVersion struct {
	Version       string // the engine's release, e.g. 20.10.24
	APIVersion    string // the newest API version the daemon speaks
	MinAPIVersion string // the oldest it still accepts
	ClientVersion string // the API version this client negotiated and uses
}

// Version asks the daemon for its version.
func (c *Client) Version(ctx context.Context) (DaemonVersion, error) {
	v, err := c.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return DaemonVersion{}, fmt.Errorf("docker: daemon at %s: version: %w", c.api.DaemonHost(), err)
	}
	return DaemonVersion{Version: v.Version, APIVersion: v.APIVersion, MinAPIVersion: v.MinAPIVersion,
		ClientVersion: c.api.ClientVersion()}, nil
}
