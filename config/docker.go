package config

import (
	"crypto/tls"
	"errors"
	"strings"

	"github.com/baktainer/baktainer/docker"
)

// The Docker endpoint's variables, under the Ruby Baktainer's names. Docker's own
// DOCKER_HOST family is used when neither BT_DOCKER_URL nor BT_SSL is set.
const (
	envDockerURL  = "BT_DOCKER_URL"
	envSSL        = "BT_SSL"
	envCA         = "BT_CA"
	envCert       = "BT_CERT"
	envKey        = "BT_KEY"
	envDockerHost = "DOCKER_HOST"
	// defaultDockerSocket is the Ruby tool's default, and Docker's.
	defaultDockerSocket = "unix:///var/run/docker.sock"
)

// DockerVars are the variables the Docker endpoint is read from.
var DockerVars = []string{envDockerURL, envSSL, envCA, envCert, envKey, envDockerHost, "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"}

// dockerRaw holds the endpoint's variables as read; loadDocker makes Config.Docker.
type dockerRaw struct {
	url, ca, cert, key string
	ssl                bool
}

// dockerVars are the table's rows for the endpoint.
func dockerVars() []Var {
	text := func(name, help string, secret bool, field func(*dockerRaw) *string) Var {
		return Var{Name: name, Secret: secret, Help: help,
			parse: func(c *Config, s string) error { *field(&c.docker) = s; return nil },
			show: func(c Config) string {
				v := *field(&c.docker)
				switch {
				case secret && v != "":
					return maskSecret(v)
				case isPEM(v):
					return "(PEM, given in the variable)"
				}
				return v
			}}
	}
	url := text(envDockerURL, "the Docker API: unix:///path, tcp://HOST:PORT, http://HOST:PORT or https://HOST:PORT; "+
		"default DOCKER_HOST (with DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else "+defaultDockerSocket, false, func(d *dockerRaw) *string { return &d.url })
	url.Default = derived
	return []Var{url,
		boolean(envSSL, "false", "TLS to the Docker API (a tcp:// address) with BT_CA, BT_CERT, BT_KEY; the daemon's certificate is always verified",
			func(c *Config) *bool { return &c.docker.ssl }),
		text(envCA, "with BT_SSL or https://: the CA certificate(s) the daemon's must chain to, PEM or a file's path; default the system's CAs",
			false, func(d *dockerRaw) *string { return &d.ca }),
		text(envCert, "with BT_SSL or https://: the client certificate, PEM or a file's path", false, func(d *dockerRaw) *string { return &d.cert }),
		text(envKey, "with BT_SSL or https://: the client certificate's private key, PEM or a file's path", true, func(d *dockerRaw) *string { return &d.key }),
	}
}

// loadDocker decides the Docker endpoint. BT_DOCKER_URL wins over DOCKER_HOST;
// with neither BT_DOCKER_URL nor BT_SSL set, Docker's own variables decide
// (Endpoint{}); TLS is on with BT_SSL=true or an https:// address, and then uses
// BT_CA, BT_CERT and BT_KEY, never DOCKER_CERT_PATH.
func (c *Config) loadDocker(lookup Lookup) []error {
	d := c.docker
	dockerHost := lookupTrimmed(lookup, envDockerHost)
	if d.url == "" && !d.ssl {
		c.ignoreTLSFiles("BT_SSL is not true")
		return nil
	}
	url, from := d.url, envDockerURL
	switch {
	case url != "" && dockerHost != "" && dockerHost != url:
		c.note(envDockerHost, "not used: "+envDockerURL+" is set and wins")
	case url == "" && dockerHost != "":
		url, from = dockerHost, envDockerHost
	case url == "":
		url, from = defaultDockerSocket, envSSL
	}
	host, https, err := docker.SplitHost(url)
	if err != nil {
		return []error{&Error{Var: from, Problem: err.Error()}}
	}
	if !d.ssl && !https {
		c.ignoreTLSFiles(envSSL + " is not true and the address is not https://")
		c.Docker = docker.Endpoint{Host: host}
		return nil
	}
	switch {
	case strings.HasPrefix(host, "unix://"):
		return []error{&Error{Var: envSSL, Problem: "is true, but the Docker API is a unix socket: set " + envDockerURL + "=tcp://HOST:2376 (or https://)"}}
	case !https && strings.HasPrefix(strings.ToLower(url), "http://"):
		return []error{&Error{Var: envSSL, Problem: "is true, but " + from + " says http://: use tcp:// or https://"}}
	}
	for _, name := range []string{"DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"} {
		if lookupTrimmed(lookup, name) != "" {
			c.note(name, "not used: TLS to the Docker API uses "+envCA+", "+envCert+" and "+envKey)
		}
	}
	tlsConfig, errs := c.dockerTLS()
	c.Docker = docker.Endpoint{Host: host, TLS: tlsConfig}
	return errs
}

// dockerTLS reads BT_CA, BT_CERT and BT_KEY into TLS settings; errors name the
// variable, never a key.
func (c *Config) dockerTLS() (*tls.Config, []error) {
	var pems [3][]byte
	var errs []error
	for i, part := range []struct {
		name, value string
		secret      bool
	}{{envCA, c.docker.ca, false}, {envCert, c.docker.cert, false}, {envKey, c.docker.key, true}} {
		if part.value == "" {
			continue
		}
		data, err := pemOrFile(part.value, part.secret)
		if err != nil {
			errs = append(errs, &Error{Var: part.name, Problem: err.Error()})
		}
		pems[i] = data
	}
	if len(errs) > 0 {
		return nil, errs
	}
	cfg, err := docker.TLSConfig(pems[0], pems[1], pems[2])
	var te *docker.TLSError
	if errors.As(err, &te) {
		name := map[string]string{"ca": envCA, "cert": envCert, "key": envKey}[te.Part]
		return nil, []error{&Error{Var: name, Problem: te.Err.Error()}}
	}
	if err != nil {
		return nil, []error{&Error{Var: envSSL, Problem: err.Error()}}
	}
	return cfg, nil
}

// ignoreTLSFiles warns about BT_CA, BT_CERT and BT_KEY when TLS is off.
func (c *Config) ignoreTLSFiles(why string) {
	for name, v := range map[string]string{envCA: c.docker.ca, envCert: c.docker.cert, envKey: c.docker.key} {
		if v != "" {
			c.warn(name, "ignored: "+why+", so the Docker API is not reached over TLS (the Ruby tool ignored it too)")
		}
	}
}

func lookupTrimmed(lookup Lookup, name string) string {
	v, _ := lookup(name)
	return strings.TrimSpace(v)
}
