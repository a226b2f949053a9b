package offsite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validSettings() Settings {
	return Settings{Endpoint: "s3.example.com:9000", Bucket: "backups", Prefix: "site-a", AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI-secret"}
}

func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		want   string // "" for valid
	}{
		{"valid", func(*Settings) {}, ""},
		{"IPv6 endpoint", func(s *Settings) { s.Endpoint = "[::1]:9000" }, ""},
		{"IP endpoint", func(s *Settings) { s.Endpoint = "127.0.0.1" }, ""},
		{"nested prefix with slashes", func(s *Settings) { s.Prefix = "/prod/db/" }, ""},
		{"no endpoint", func(s *Settings) { s.Endpoint = "" }, "BT_S3_ENDPOINT is missing"},
		{"scheme", func(s *Settings) { s.Endpoint = "https://s3.example.com" }, "BT_S3_ENDPOINT=\"https://s3.example.com\": give host[:port] without a scheme"},
		{"path", func(s *Settings) { s.Endpoint = "s3.example.com/bucket" }, "BT_S3_ENDPOINT=\"s3.example.com/bucket\": give host[:port] only"},
		{"bad port", func(s *Settings) { s.Endpoint = "s3.example.com:99999" }, "the port must be 1 to 65535"},
		{"bad host", func(s *Settings) { s.Endpoint = "s3_example!.com" }, "neither a host name nor an IP address"},
		{"no bucket", func(s *Settings) { s.Bucket = "" }, "BT_S3_BUCKET is missing"},
		{"bad bucket", func(s *Settings) { s.Bucket = "Backups_2026" }, "BT_S3_BUCKET=\"Backups_2026\""},
		{"dot-dot prefix", func(s *Settings) { s.Prefix = "a/../b" }, "BT_S3_PREFIX=\"a/../b\""},
		{"double slash prefix", func(s *Settings) { s.Prefix = "a//b" }, "BT_S3_PREFIX"},
		{"odd prefix characters", func(s *Settings) { s.Prefix = "a b" }, "BT_S3_PREFIX"},
		{"no access key", func(s *Settings) { s.AccessKey = "" }, "BT_S3_ACCESS_KEY is missing"},
		{"no secret", func(s *Settings) { s.SecretKey = "" }, "BT_S3_SECRET_KEY is missing"},
		{"bad region", func(s *Settings) { s.Region = "eu central" }, "BT_S3_REGION"},
		{"bad storage class", func(s *Settings) { s.StorageClass = "cold storage" }, "BT_S3_STORAGE_CLASS"},
		{"CA with plain HTTP", func(s *Settings) { s.Insecure, s.CAFile = true, "/ca.pem" }, "BT_S3_INSECURE and BT_S3_CA_FILE contradict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSettings()
			tc.change(&s)
			err := s.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v; want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "wJalrXUtnFEMI") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestSettingsNeverShowCredentials(t *testing.T) {
	s := validSettings()
	s.Insecure = true
	for _, text := range []string{s.String(), fmt.Sprintf("%v|%+v|%#v|%s", s, s, s, s)} {
		if strings.Contains(text, s.SecretKey) || strings.Contains(text, s.AccessKey) {
			t.Fatalf("credentials shown: %s", text)
		}
	}
	if got := s.String(); got != "http://s3.example.com:9000/backups/site-a" {
		t.Fatalf("String() = %q", got)
	}
	if _, err := New(Settings{Endpoint: "x", Bucket: "b", AccessKey: "AKID1234", SecretKey: "hunter22-secret"}, Options{}); err == nil ||
		strings.Contains(err.Error(), "hunter22") {
		t.Fatalf("New with a bad bucket name: %v", err)
	}
}

// BT_S3_CA_FILE is a file the operator names, read as every such setting is
// (store.ReadSmallFile): through a link (Kubernetes and Swarm mount secrets as
// links), regular files only, capped; a missing or empty one is an error
// naming the setting.
func TestNewReadsTheCAFile(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ca-link.pem")
	if err := os.Symlink(ca, link); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, wantErr string
	}{
		{ca, ""},
		{link, ""},
		{filepath.Join(dir, "missing.pem"), "BT_S3_CA_FILE"},
		{empty, "no PEM certificate"},
	} {
		s := validSettings()
		s.CAFile = tc.file
		_, err := New(s, Options{})
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("New with BT_S3_CA_FILE=%s: %v; want %q", filepath.Base(tc.file), err, tc.wantErr)
		}
	}
}

// selfSignedPEM returns a freshly made self-signed CA certificate in PEM.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestRedact(t *testing.T) {
	s := validSettings()
	inner := errors.New("signing with wJalrXUtnFEMI-secret failed for AKIDEXAMPLE")
	err := redact(fmt.Errorf("offsite: %w", inner), s)
	if strings.Contains(err.Error(), s.SecretKey) || strings.Contains(err.Error(), s.AccessKey) || !errors.Is(err, inner) {
		t.Fatalf("redact: %q (still wraps: %v)", err, errors.Is(err, inner))
	}
}

func TestRetryPolicyWaits(t *testing.T) {
	p := DefaultRetry.withDefaults()
	var waits []time.Duration
	for n := 1; n < p.Attempts; n++ {
		waits = append(waits, p.wait(n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v; want %v", waits, want)
	}
}
