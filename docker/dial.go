package docker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// Endpoint is where the Docker Engine API is and how to reach it. config decides
// it (BT_DOCKER_URL, BT_SSL, BT_CA, BT_CERT, BT_KEY, else Docker's own variables);
// every command and the agent dial it through Open.
type Endpoint struct {
	// Host is the daemon's address, unix:///path or tcp://host:port (an http://
	// or https:// address is given as tcp://, https:// with TLS). Empty: Docker's
	// standard environment, DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and
	// DOCKER_API_VERSION, as the docker CLI reads them; unix:///var/run/docker.sock
	// when they are unset.
	Host string
	// TLS, when set, secures a tcp:// Host: the daemon's certificate is verified
	// (never skipped), and a client certificate is shown when it has one.
	TLS *tls.Config
}

// String describes the endpoint for messages.
func (e Endpoint) String() string {
	switch {
	case e.Host == "":
		return "Docker's standard environment (DOCKER_HOST, else the default socket)"
	case e.TLS != nil:
		return e.Host + " over TLS"
	}
	return e.Host
}

// SplitHost reads a daemon address as the Ruby Baktainer's BT_DOCKER_URL took it:
// unix://, tcp://, http:// or https:// followed by an address. It returns the
// address as the Docker client takes it (http and https as tcp://) and whether
// the scheme asks for TLS.
func SplitHost(url string) (host string, https bool, err error) {
	scheme, addr, ok := strings.Cut(url, "://")
	if !ok || addr == "" || strings.ContainsAny(addr, " \t\r\n") {
		return "", false, errors.New("must be unix:///path/to/docker.sock, tcp://HOST:PORT, http://HOST:PORT or https://HOST:PORT")
	}
	switch strings.ToLower(scheme) {
	case "unix":
		return "unix://" + addr, false, nil
	case "tcp", "http":
		return "tcp://" + addr, false, nil
	case "https":
		return "tcp://" + addr, true, nil
	}
	return "", false, fmt.Errorf("scheme %q is not one of unix, tcp, http, https", scheme)
}

// TLSConfig builds the client's TLS settings from PEM: caPEM the certificates the
// daemon's must chain to (nil: the system's roots), certPEM and keyPEM the client
// certificate and its key (both or neither). Errors say which part is wrong,
// never quote it.
func TLSConfig(caPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, &TLSError{Part: "ca", Err: errors.New("holds no PEM certificate")}
		}
		cfg.RootCAs = pool
	}
	switch {
	case len(certPEM) > 0 && len(keyPEM) == 0:
		return nil, &TLSError{Part: "key", Err: errors.New("is missing: a client certificate needs its key")}
	case len(keyPEM) > 0 && len(certPEM) == 0:
		return nil, &TLSError{Part: "cert", Err: errors.New("is missing: a client key needs its certificate")}
	case len(certPEM) > 0:
		if !hasCertificate(certPEM) {
			return nil, &TLSError{Part: "cert", Err: errors.New("holds no usable PEM certificate")}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &TLSError{Part: "key", Err: keyProblem(err)}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// hasCertificate says whether data holds a PEM certificate Go can parse.
func hasCertificate(data []byte) bool {
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(block.Bytes); err == nil {
				return true
			}
		}
	}
}

// keyProblem says what is wrong with a client key without repeating crypto/tls's
// error, which never holds the key but may change wording between releases.
func keyProblem(err error) error {
	if strings.Contains(err.Error(), "does not match") {
		return errors.New("does not match the client certificate")
	}
	return errors.New("holds no usable PEM private key (unencrypted PKCS#1, PKCS#8 or EC)")
}

// TLSError is a problem with one part of the TLS settings: "ca", "cert" or "key".
type TLSError struct {
	Part string
	Err  error
}

func (e *TLSError) Error() string { return "docker TLS " + e.Part + ": " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// Open makes a client for ep without contacting the daemon: the one place
// baktainer configures the Docker client (the client negotiates the API version by
// itself on first use).
func Open(ep Endpoint) (*Client, error) {
	opts := []client.Opt{client.FromEnv}
	if ep.Host != "" {
		opts = []client.Opt{client.WithAPIVersionFromEnv()}
		if ep.TLS != nil {
			// WithHTTPClient first: WithHost configures the transport it brings.
			opts = append(opts, client.WithHTTPClient(&http.Client{
				Transport:     &http.Transport{TLSClientConfig: ep.TLS.Clone(), MaxIdleConns: 6, IdleConnTimeout: 30 * time.Second},
				CheckRedirect: client.CheckRedirect,
			}))
		}
		opts = append(opts, client.WithHost(ep.Host))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: configure the client for %s: %w", ep, err)
	}
	return &Client{api: api}, nil
}

// Dial makes a client without contacting the daemon, for long-running callers (the
// agent) that must start before the daemon answers and reconnect on their own. An
// empty host means Docker's standard environment; otherwise host is a daemon
// address such as unix:///var/run/docker.sock. It is Open without TLS settings.
func Dial(host string) (*Client, error) { return Open(Endpoint{Host: host}) }

// ConnectTo opens a client for ep and checks that the daemon answers.
func ConnectTo(ctx context.Context, ep Endpoint) (*Client, error) {
	c, err := Open(ep)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// Host returns the daemon address the client talks to.
func (c *Client) Host() string { return c.api.DaemonHost() }
