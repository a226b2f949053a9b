package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testPEM makes a CA and a client certificate signed by it, in PEM.
func testPEM(t *testing.T) (ca, cert, key, otherKey string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caCert, _ := x509.ParseCertificate(caDER)
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, caCert, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(kind string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
	}
	keyDER, _ := x509.MarshalECPrivateKey(clientKey)
	otherDER, _ := x509.MarshalECPrivateKey(caKey)
	return enc("CERTIFICATE", caDER), enc("CERTIFICATE", clientDER), enc("EC PRIVATE KEY", keyDER), enc("EC PRIVATE KEY", otherDER)
}

// #13: the Docker endpoint: BT_DOCKER_URL (unix, tcp, http, https) and BT_SSL with
// BT_CA/BT_CERT/BT_KEY (PEM or a path, as the Ruby tool took them) win over
// Docker's own DOCKER_HOST family, which is used otherwise.
func TestDockerEndpoint(t *testing.T) {
	ca, cert, key, otherKey := testPEM(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, []byte(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		host     string // the endpoint's host
		tls      string // "", "system" (system roots, no client certificate) or "mutual"
		problems string
		warnings []string
		notices  []string
	}{
		{name: "nothing set: Docker's own environment", env: nil, host: ""},
		{name: "DOCKER_HOST alone is Docker's business", env: map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375"}, host: ""},
		{name: "the Ruby default", env: map[string]string{"BT_DOCKER_URL": "unix:///var/run/docker.sock"}, host: "unix:///var/run/docker.sock"},
		{name: "tcp", env: map[string]string{"BT_DOCKER_URL": "tcp://127.0.0.1:2375"}, host: "tcp://127.0.0.1:2375"},
		{name: "http", env: map[string]string{"BT_DOCKER_URL": "http://127.0.0.1:2375"}, host: "tcp://127.0.0.1:2375"},
		{name: "https", env: map[string]string{"BT_DOCKER_URL": "https://docker.example:2376"}, host: "tcp://docker.example:2376", tls: "system"},
		{name: "BT_SSL with PEM and a path", env: map[string]string{"BT_DOCKER_URL": "tcp://127.0.0.1:2376", "BT_SSL": "true",
			"BT_CA": ca, "BT_CERT": certFile, "BT_KEY": key}, host: "tcp://127.0.0.1:2376", tls: "mutual"},
		{name: "BT_SSL on DOCKER_HOST", env: map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2376", "BT_SSL": "true",
			"BT_CA": ca, "BT_CERT": cert, "BT_KEY": key}, host: "tcp://10.0.0.1:2376", tls: "mutual"},
		{name: "BT_DOCKER_URL wins over DOCKER_HOST", env: map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375", "BT_DOCKER_URL": "tcp://10.0.0.2:2375"},
			host: "tcp://10.0.0.2:2375", notices: []string{"DOCKER_HOST"}},
		{name: "BT_SSL on a socket", env: map[string]string{"BT_SSL": "true"}, problems: "BT_SSL"},
		{name: "BT_SSL on http", env: map[string]string{"BT_SSL": "true", "BT_DOCKER_URL": "http://h:2376"}, problems: "BT_SSL"},
		{name: "another scheme", env: map[string]string{"BT_DOCKER_URL": "ssh://user@host"}, problems: "BT_DOCKER_URL"},
		{name: "no address", env: map[string]string{"BT_DOCKER_URL": "tcp://"}, problems: "BT_DOCKER_URL"},
		{name: "a certificate without its key", env: map[string]string{"BT_DOCKER_URL": "tcp://h:2376", "BT_SSL": "true", "BT_CERT": cert}, problems: "BT_KEY"},
		{name: "a key that is not the certificate's", env: map[string]string{"BT_DOCKER_URL": "tcp://h:2376", "BT_SSL": "true",
			"BT_CERT": cert, "BT_KEY": otherKey}, problems: "BT_KEY"},
		{name: "a CA that is neither PEM nor a file", env: map[string]string{"BT_DOCKER_URL": "tcp://h:2376", "BT_SSL": "true",
			"BT_CA": "/no/such/ca.pem"}, problems: "BT_CA"},
		{name: "a key that is no key", env: map[string]string{"BT_DOCKER_URL": "tcp://h:2376", "BT_SSL": "true",
			"BT_CERT": cert, "BT_KEY": "-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----\n"}, problems: "BT_KEY"},
		{name: "certificates without BT_SSL", env: map[string]string{"BT_DOCKER_URL": "tcp://h:2375", "BT_CA": ca, "BT_KEY": key},
			host: "tcp://h:2375", warnings: []string{"BT_CA", "BT_KEY"}},
		{name: "a quoted URL", env: map[string]string{"BT_DOCKER_URL": `"unix:///var/run/docker.sock"`}, host: "unix:///var/run/docker.sock",
			notices: []string{"BT_DOCKER_URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if got := strings.Join(problemVars(err), ","); got != tc.problems {
				t.Fatalf("problems with %q, want %q: %v", got, tc.problems, err)
			}
			if err != nil {
				for _, secret := range []string{"bm90IGEga2V5", key[40:80], otherKey[40:80]} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error shows the key: %v", err)
					}
				}
				return
			}
			if c.Docker.Host != tc.host {
				t.Errorf("host %q, want %q", c.Docker.Host, tc.host)
			}
			switch tls := c.Docker.TLS; {
			case tc.tls == "" && tls != nil, tc.tls != "" && tls == nil:
				t.Errorf("TLS %v, want %q", tls, tc.tls)
			case tc.tls == "system" && (tls.RootCAs != nil || len(tls.Certificates) != 0):
				t.Errorf("TLS with the system's roots wanted: %+v", tls)
			case tc.tls == "mutual" && (tls.RootCAs == nil || len(tls.Certificates) != 1 || tls.InsecureSkipVerify):
				t.Errorf("mutual TLS wanted: %+v", tls)
			}
			if got := varsOf(c.Warnings()); !slices.Equal(got, tc.warnings) {
				t.Errorf("warnings about %v, want %v: %v", got, tc.warnings, c.Warnings())
			}
			if got := varsOf(c.Notices()); !slices.Equal(got, tc.notices) {
				t.Errorf("notices about %v, want %v: %v", got, tc.notices, c.Notices())
			}
		})
	}
}
