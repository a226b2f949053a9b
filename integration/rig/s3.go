package rig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baktainer/baktainer/offsite"
)

// S3 is a real S3-compatible server (SeaweedFS, scripts/s3-server.sh) on
// 127.0.0.1, with credentials random per server.
type S3 struct {
	Port                 int
	DataDir              string
	AccessKey, SecretKey string
}

// Endpoint is the server's host:port.
func (s *S3) Endpoint() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// sharedS3 is the test binary's server, started on first use.
var sharedS3 = sync.OnceValues(func() (*S3, error) {
	dir, err := os.MkdirTemp("", "baktainer-s3-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := newS3(port, dir)
	if out, err := s.script("start", strconv.Itoa(port), dir); err != nil {
		return nil, fmt.Errorf("scripts/s3-server.sh start: %v\n%s", err, out)
	}
	return s, s.stopWhenDone(os.Getpid())
})

// SharedS3 returns the S3 server all tests of this test binary share, starting
// it the first time (building it the very first time, about 5 minutes). It
// stops when the test binary exits. Give each test its own bucket (Bucket).
func SharedS3(t testing.TB) *S3 {
	t.Helper()
	s, err := sharedS3()
	if err != nil {
		t.Fatalf("start the S3 test server: %v", err)
	}
	return s
}

// OwnS3 starts an S3 server for this test alone, one it may kill and start
// again; it is stopped and its data removed when the test ends.
func OwnS3(t testing.TB) *S3 {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := newS3(port, t.TempDir())
	t.Cleanup(func() { _, _ = s.script("stop", strconv.Itoa(port)) })
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

func newS3(port int, dir string) *S3 {
	return &S3{Port: port, DataDir: dir, AccessKey: "AK" + randomHex(9), SecretKey: randomHex(20)}
}

// Start starts the server (again, after Kill), with the data it had. It
// returns an error rather than failing the test, so a goroutine may call it.
func (s *S3) Start() error {
	if out, err := s.script("start", strconv.Itoa(s.Port), s.DataDir); err != nil {
		return fmt.Errorf("scripts/s3-server.sh start: %v\n%s", err, out)
	}
	return nil
}

// Kill SIGKILLs the server, as a crash would.
func (s *S3) Kill() error {
	if out, err := s.script("kill", strconv.Itoa(s.Port)); err != nil {
		return fmt.Errorf("scripts/s3-server.sh kill: %v\n%s", err, out)
	}
	return nil
}

// script runs scripts/s3-server.sh with the credentials in its environment (not
// its arguments, which every process may read).
func (s *S3) script(args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "s3-server.sh"), args...)
	cmd.Env = append(os.Environ(), "S3_ACCESS_KEY="+s.AccessKey, "S3_SECRET_KEY="+s.SecretKey)
	return cmd.CombinedOutput()
}

// stopWhenDone starts a watcher, in its own session, that stops the server and
// removes its data once process pid has exited: a test binary has no hook that
// runs after its last test, and a crashed one must not leave a server behind.
func (s *S3) stopWhenDone(pid int) error {
	script := filepath.Join(RepoRoot(), "scripts", "s3-server.sh")
	watch := fmt.Sprintf(`while kill -0 %d 2>/dev/null; do sleep 1; done; %q stop %d; rm -rf %q`, pid, script, s.Port, s.DataDir)
	cmd := exec.Command("bash", "-c", watch)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the S3 server's watcher: %w", err)
	}
	return cmd.Process.Release()
}

// Settings returns offsite settings for bucket and prefix on this server.
func (s *S3) Settings(bucket, prefix string) offsite.Settings {
	return offsite.Settings{
		Endpoint: s.Endpoint(), Bucket: bucket, Prefix: prefix,
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, Insecure: true, Region: "us-east-1",
	}
}

// Client returns a plain minio-go client of the server, for tests that look at
// the bucket as any S3 user would.
func (s *S3) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint(), &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bucket creates a bucket of a random name for the test, emptied and removed
// when the test ends.
func (s *S3) Bucket(t testing.TB) string {
	t.Helper()
	c := s.Client(t)
	name := "bt-test-" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	t.Cleanup(func() { removeBucket(c, name) })
	return name
}

// removeBucket empties and removes a bucket, ignoring errors (the server may be
// down at the end of a test that stopped it).
func removeBucket(c *minio.Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for obj := range c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return
		}
		_ = c.RemoveObject(ctx, name, obj.Key, minio.RemoveObjectOptions{})
	}
	for u := range c.ListIncompleteUploads(ctx, name, "", true) {
		if u.Err == nil {
			_ = c.RemoveIncompleteUpload(ctx, name, u.Key)
		}
	}
	_ = c.RemoveBucket(ctx, name)
}

// freePort is FreePort for code that has no testing.TB.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
