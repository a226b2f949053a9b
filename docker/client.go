// Package docker is baktainer's narrow view of the Docker Engine API: connecting,
// listing and inspecting containers, and running commands inside them. It wraps
// github.com/moby/moby/client so the rest of baktainer depends on a few methods only.
package docker

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// Client talks to one Docker Engine.
type Client struct {
	api *client.Client
}

// Connect makes a client from Docker's standard environment (DOCKER_HOST,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), negotiating the API version with the
// daemon (baktainer supports API 1.41 and later), and checks that the daemon
// answers. The commands connect to the endpoint config decides, with ConnectTo.
func Connect(ctx context.Context) (*Client, error) { return ConnectTo(ctx, Endpoint{}) }

// Ping checks that the daemon answers. A daemon whose certificate the CA does not
// vouch for, or that refuses the client's, is said to be so.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("docker: daemon at %s does not answer%s: %w", c.api.DaemonHost(), tlsHint(err), err)
	}
	return nil
}

// tlsHint names the usual cause of a failed TLS handshake with the daemon.
func tlsHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return " (its TLS certificate is not signed by the CA baktainer was given: BT_CA, or ca.pem in DOCKER_CERT_PATH)"
	case errors.As(err, &hostname):
		return " (its TLS certificate is not made out to the host in the address)"
	case errors.As(err, &invalid):
		return " (its TLS certificate is not valid)"
	case strings.Contains(err.Error(), "remote error: tls:"):
		return " (it refused the TLS handshake: it may want a client certificate its CA signed, BT_CERT and BT_KEY, or cert.pem and key.pem in DOCKER_CERT_PATH)"
	}
	return ""
}

// API returns the underlying Engine API client, for the few callers (tests, the
// plugin packaging) that need calls this package does not wrap.
func (c *Client) API() *client.Client { return c.api }

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }
