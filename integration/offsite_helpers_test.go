//go:build integration

package integration

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// offsiteFastRetry keeps the tests' retries short; the server restart test
// passes a more patient one.
var offsiteFastRetry = offsite.RetryPolicy{Attempts: 6, First: 100 * time.Millisecond, Max: time.Second}

// offsiteLog is a logger whose output a test reads.
type offsiteLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *offsiteLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *offsiteLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *offsiteLog) entry() *logrus.Entry {
	log := logrus.New()
	log.SetOutput(l)
	log.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(log)
}

// offsiteRemote returns a Remote on settings whose log goes to the returned buffer.
func offsiteRemote(t testing.TB, s offsite.Settings, opts offsite.Options) (*offsite.Remote, *offsiteLog) {
	t.Helper()
	log := &offsiteLog{}
	opts.Log = log.entry()
	if opts.Retry.Attempts == 0 {
		opts.Retry = offsiteFastRetry
	}
	r, err := offsite.New(s, opts)
	if err != nil {
		t.Fatalf("offsite.New(%s): %v", s, err)
	}
	return r, log
}

// offsitePack packs size bytes of generated SQL with `baktainer archive pack`
// under root and returns the archive's path. args add pack flags
// (--compress none, --recipient R).
func offsitePack(t testing.TB, root, name string, seed uint64, size int64, args ...string) string {
	t.Helper()
	dump := append(storeSQLDump(t, seed, size), storePGFooter...)
	out := storeMustCLI(t, bytes.NewReader(dump), nil,
		append([]string{"archive", "pack", "--dir", root, "--name", name, "--ext", "sql", "--engine", "postgres"}, args...)...)
	return strings.TrimSpace(out)
}

// offsiteArchiveAt commits an archive of name created at created under root with
// content bytes (no compression), as store.Create does for a backup.
func offsiteArchiveAt(t testing.TB, root, name string, created time.Time, content []byte) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Engine: "postgres", Created: created}, "sql", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(content); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// offsiteDownload fetches the copy at key (archive and sidecars) with a plain
// S3 client into dir, under the archive's own file name, and returns its path.
func offsiteDownload(t testing.TB, c *minio.Client, bucket, key, dir string) string {
	t.Helper()
	path := filepath.Join(dir, filepath.Base(key))
	for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
		if err := c.FGetObject(context.Background(), bucket, key+ext, path+ext, minio.GetObjectOptions{}); err != nil {
			t.Fatalf("download s3://%s/%s: %v", bucket, key+ext, err)
		}
	}
	return path
}

// offsiteKeys lists every key in bucket with its size.
func offsiteKeys(t testing.TB, c *minio.Client, bucket string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for obj := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list s3://%s: %v", bucket, obj.Err)
		}
		out[obj.Key] = obj.Size
	}
	return out
}

// offsiteWatch lists bucket over and over until stop is closed, and reports
// every moment a final key was visible when it should not have been: the
// archive at another size than want, or a sidecar before the archive was there
// whole (the .sha256 also before the .json). It returns the violations seen and
// how many listings it made.
func offsiteWatch(c *minio.Client, bucket, key string, want int64, stop <-chan struct{}) func() ([]string, int) {
	var mu sync.Mutex
	var bad []string
	listings := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			seen := map[string]int64{}
			for obj := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
				if obj.Err == nil {
					seen[obj.Key] = obj.Size
				}
			}
			mu.Lock()
			listings++
			size, archive := seen[key]
			_, meta := seen[key+store.MetaExt]
			_, sum := seen[key+store.ChecksumExt]
			switch {
			case archive && size != want:
				bad = append(bad, "archive visible at "+strconv.FormatInt(size, 10)+" bytes")
			case (meta || sum) && !archive:
				bad = append(bad, "a sidecar visible before the archive")
			case sum && !meta:
				bad = append(bad, ".sha256 visible before .json")
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() ([]string, int) {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return bad, listings
	}
}

// cutProxy forwards connections from a loopback port to target and, while cuts
// remain, cuts a connection once it has carried `after` bytes in the chosen
// direction: what a network that drops mid-upload (up) or mid-download (down)
// does. onBytes, when set, sees the running total of bytes sent upstream.
type cutProxy struct {
	ln      net.Listener
	target  string
	after   int64
	down    bool // cut on bytes from the server instead of to it
	flip    bool // flip the byte at `after` instead of cutting
	cuts    atomic.Int32
	cutDone atomic.Int32
	up      atomic.Int64
	onBytes func(total int64)
}

func newCutProxy(t testing.TB, target string, after int64, cuts int32, down bool) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, after: after, down: down}
	p.cuts.Store(cuts)
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(client)
	}
}

func (p *cutProxy) forward(client net.Conn) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return // the server is down: the client sees its connection closed
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { p.copy(server, client, !p.down, true); done <- struct{}{} }()
	go func() { p.copy(client, server, p.down, false); done <- struct{}{} }()
	<-done // either side ending ends the connection
}

// copy copies src to dst. In the direction that is cut (watched), once the
// connection has carried p.after bytes and a cut remains, it cuts the
// connection there, or flips that byte.
func (p *cutProxy) copy(dst, src net.Conn, watched, upstream bool) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if watched && n+int64(k) > p.after && p.cuts.Add(-1) >= 0 {
				p.cutDone.Add(1)
				if !p.flip {
					dst.Close()
					src.Close()
					return
				}
				buf[max(p.after-n, 0)] ^= 0x01
			}
			n += int64(k)
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
			if upstream {
				total := p.up.Add(int64(k))
				if p.onBytes != nil {
					p.onBytes(total)
				}
			}
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && err == io.EOF {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// offsiteNoSecrets fails the test when text holds either credential of s.
func offsiteNoSecrets(t testing.TB, what, text string, s *rig.S3) {
	t.Helper()
	for _, secret := range []string{s.AccessKey, s.SecretKey} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains a credential:\n%s", what, text)
		}
	}
}
