//go:build integration

package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// tlsPKI is a CA and what it signed, in PEM.
type tlsPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey []byte
}

// newTLSPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, as `docker` TLS setups do (ECDSA P-256, crypto/x509).
func newTLSPKI(t *testing.T, name string) tlsPKI {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyPEM := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	sign := func(serial int64, tmpl *x509.Certificate) ([]byte, []byte) {
		k := key()
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(serial), now.Add(-time.Hour), now.Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM(k)
	}
	p := tlsPKI{ca: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	p.serverCert, p.serverKey = sign(2, &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.clientCert, p.clientKey = sign(3, &x509.Certificate{Subject: pkix.Name{CommonName: "baktainer"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return p
}

// tlsDockerd starts a third Docker daemon (scripts/second-dockerd.sh with its own
// places) listening on a loopback TCP port with --tlsverify on pki's certificates,
// loads images into it, and stops it when the test ends. It returns a client over
// its unix socket (for the test's own setup) and its tcp:// address.
func tlsDockerd(t *testing.T, pki tlsPKI, images ...string) (*docker.Client, string) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.pem": pki.ca, "server.pem": pki.serverCert, "server-key.pem": pki.serverKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := "127.0.0.1:" + freePort(t)
	env := []string{"BT_TEST_DOCKERD_RUN=/run/baktainer-test-tls", "BT_TEST_DOCKERD_ROOT=/var/lib/baktainer-test-tls-docker",
		"BT_TEST_DOCKERD_LOG=/var/log/baktainer-test-tls-dockerd.log", "BT_TEST_DOCKERD_BRIDGE=bt-test1",
		"BT_TEST_DOCKERD_BRIDGE_CIDR=10.231.1.1/24", "BT_TEST_DOCKERD_NAMESPACE=baktainer-test-tls",
		"BT_TEST_DOCKERD_TLS=" + dir, "BT_TEST_DOCKERD_TCP=" + addr}
	t.Cleanup(func() { rig.Script(t, env, "second-dockerd.sh", "stop") })
	rig.Script(t, env, "second-dockerd.sh", "restart") // a daemon left running holds other certificates
	rig.Script(t, env, "second-dockerd.sh", append([]string{"load"}, images...)...)
	dc, err := docker.Dial("unix:///run/baktainer-test-tls/docker.sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	return dc, "tcp://" + addr
}

// #13: `baktainer backup` and `restore` reach a Docker daemon over TCP with
// --tlsverify, as the Ruby tool's BT_DOCKER_URL, BT_SSL, BT_CA, BT_CERT and BT_KEY
// said (PEM in a variable, or a file's path): a SQLite container on that daemon is
// backed up and restored. With another CA the daemon's certificate is refused,
// with an error that says so, and nothing is written; without a client
// certificate the daemon refuses baktainer.
func TestRubyDockerOverTLS(t *testing.T) {
	pki := newTLSPKI(t, "baktainer-test")
	dc, url := tlsDockerd(t, pki, rig.SQLiteImage)
	files := t.TempDir()
	certFile := filepath.Join(files, "cert.pem")
	if err := os.WriteFile(certFile, pki.clientCert, 0o600); err != nil {
		t.Fatal(err)
	}
	src := rig.Start(t, dc, rig.ContainerSpec{Name: "ruby-tls-src", Image: rig.SQLiteImage, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "sqlite", "baktainer.db.name": sqliteDB, "baktainer.name": "notes"}})
	fresh := rig.Start(t, dc, rig.ContainerSpec{Name: "ruby-tls-fresh", Image: rig.SQLiteImage, Labels: map[string]string{
		"baktainer.db.engine": "sqlite", "baktainer.db.name": sqliteDB}})
	for _, c := range []string{src, fresh} {
		rig.Exec(t, dc, c, nil, nil, "chown", rig.SQLiteUser, "/data")
	}
	rig.SQLite(t, dc, src, sqliteDB, sqliteSeedSQL)
	want := sqliteSnapshot(t, dc, src)

	dir := t.TempDir()
	tlsEnv := func(ca []byte, withClient bool) []string {
		env := []string{"DOCKER_HOST=", "BT_BACKUP_DIR=" + dir, "BT_DOCKER_URL=" + url, "BT_SSL=true", "BT_CA=" + string(ca)}
		if withClient {
			env = append(env, "BT_CERT="+certFile, "BT_KEY="+string(pki.clientKey))
		}
		return env
	}
	out, errOut, code := runBaktainer(t, tlsEnv(pki.ca, true), "backup", src)
	archive := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(archive, filepath.Join(dir, "notes")+"/") {
		t.Fatalf("backup over TLS: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runBaktainer(t, tlsEnv(pki.ca, true), "restore", archive, "--container", fresh)
	if code != 0 {
		t.Fatalf("restore over TLS: exit %d\n%s%s", code, out, errOut)
	}
	if got := sqliteSnapshot(t, dc, fresh); got != want {
		t.Fatalf("restored over TLS, the data differs:\n%s", legacyDiff(want, got))
	}
	before := rig.ListFiles(t, dir)

	wrong := newTLSPKI(t, "another")
	_, errOut, code = runBaktainer(t, tlsEnv(wrong.ca, true), "backup", src)
	if code == 0 || !strings.Contains(errOut, "does not answer (its TLS certificate is not signed by the CA baktainer was given") ||
		!strings.Contains(errOut, "x509: certificate signed by unknown authority") {
		t.Errorf("backup with another CA: exit %d, stderr:\n%s", code, errOut)
	}
	t.Logf("with another CA: %s", strings.TrimSpace(errOut))
	_, errOut, code = runBaktainer(t, tlsEnv(pki.ca, false), "backup", src)
	if code == 0 || !strings.Contains(errOut, "it refused the TLS handshake: it may want a client certificate") {
		t.Errorf("backup without a client certificate: exit %d, stderr:\n%s", code, errOut)
	}
	t.Logf("without a client certificate: %s", strings.TrimSpace(errOut))
	if after := rig.ListFiles(t, dir); len(after) != len(before) {
		t.Errorf("refused backups wrote %v", after)
	}
	for _, secret := range [][]byte{pki.clientKey[40:90], wrong.ca[40:90]} {
		if strings.Contains(errOut, string(secret)) {
			t.Errorf("an error shows TLS material")
		}
	}
}
