//go:build integration

package integration

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// TestOffsiteEarlyCopy: the copy made while the archive is written, against a
// real S3 server through a proxy that cuts the connection once mid-way. Its
// parts reach the server before the commit, nothing is visible under the key
// until the copy is complete and verified, and a plain client's download
// passes the stock sha256sum -c. A backup that fails leaves nothing, not even
// an unfinished multipart upload.
func TestOffsiteEarlyCopy(t *testing.T) {
	s3 := rig.SharedS3(t)
	client := s3.Client(t)
	sha256sum := rig.Tool(t, "sha256sum")
	content := offsiteRandom(15<<20, 21)

	t.Run("committed", func(t *testing.T) {
		bucket := s3.Bucket(t)
		proxy := newCutProxy(t, s3.Endpoint(), 7<<20, 1, false)
		settings := s3.Settings(bucket, "site/")
		settings.Endpoint = proxy.addr()
		remote, log := offsiteRemote(t, settings, offsite.Options{PartSize: 5 << 20})
		p, early, key := offsiteBeginEarly(t, remote, t.TempDir(), "early", "site/")
		stop := make(chan struct{})
		violations := offsiteWatch(client, bucket, key, int64(len(content)), stop)
		offsiteWriteAll(t, p, content[:12<<20])
		parts := offsiteWaitForParts(t, client, bucket, key, 2)
		offsiteWriteAll(t, p, content[12<<20:])
		path, meta, err := p.Commit()
		if err != nil {
			t.Fatal(err)
		}
		res, err := early.Finish(context.Background(), path)
		close(stop)
		if bad, listings := violations(); len(bad) > 0 {
			t.Errorf("seen in the bucket while copying (%d listings): %v", listings, bad)
		}
		if err != nil {
			t.Fatalf("finish: %v\n%s", err, log)
		}
		t.Logf("%d parts on the server before the commit; result %+v", parts, res)
		if !res.Early || res.Key != key || res.Parts != 3 || res.Size != meta.Size || proxy.cutDone.Load() != 1 || res.Retries < 1 {
			t.Fatalf("result %+v, %d cuts; want an early copy of 3 parts under %s, the cut retried", res, proxy.cutDone.Load(), key)
		}
		offsiteCheckCopy(t, s3, bucket, key, path)
		got := offsiteDownload(t, client, bucket, key, t.TempDir())
		out := rig.Run(t, nil, "sh", "-c", "cd \"$1\" && \"$2\" -c \"$3\"", "sh", filepath.Dir(got), sha256sum, filepath.Base(got)+store.ChecksumExt)
		if !strings.Contains(string(out), ": OK") {
			t.Fatalf("sha256sum -c: %s", out)
		}
		offsiteNoSecrets(t, "the log", log.String(), s3)
	})

	t.Run("the backup fails", func(t *testing.T) {
		bucket := s3.Bucket(t)
		remote, _ := offsiteRemote(t, s3.Settings(bucket, ""), offsite.Options{PartSize: 5 << 20})
		p, early, key := offsiteBeginEarly(t, remote, t.TempDir(), "failed", "")
		offsiteWriteAll(t, p, content[:12<<20])
		offsiteWaitForParts(t, client, bucket, key, 2)
		p.Abort()
		early.Cancel()
		if keys := offsiteKeys(t, client, bucket); len(keys) != 0 {
			t.Errorf("a failed backup left %v", keys)
		}
		for u := range client.ListIncompleteUploads(context.Background(), bucket, "", true) {
			t.Errorf("multipart upload left behind: %+v", u)
		}
	})
}

// offsiteBeginEarly starts an uncompressed archive of name under root and its
// early copy; it returns the copy's key.
func offsiteBeginEarly(t *testing.T, remote *offsite.Remote, root, name, prefix string) (*store.Pending, *offsite.Early, string) {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name}, "sql", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Abort)
	data, err := p.OpenWritten()
	if err != nil {
		t.Fatal(err)
	}
	n, created, file := p.Planned()
	key := prefix + n + "/" + created.Format("2006-01-02") + "/" + file
	return p, remote.Begin(context.Background(), offsite.Growing{Name: n, Created: created, File: file, Data: data, Written: p.Written}), key
}

func offsiteWriteAll(t *testing.T, p *store.Pending, b []byte) {
	t.Helper()
	for len(b) > 0 {
		n := min(len(b), 1<<20)
		if _, err := p.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
}

// offsiteWaitForParts waits until the server holds at least n parts of the
// unfinished multipart upload of key, and returns how many it holds.
func offsiteWaitForParts(t *testing.T, c *minio.Client, bucket, key string, n int) int {
	t.Helper()
	core := minio.Core{Client: c}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := 0
		for u := range c.ListIncompleteUploads(context.Background(), bucket, key, false) {
			if u.Err != nil || u.Key != key {
				continue
			}
			res, err := core.ListObjectParts(context.Background(), bucket, key, u.UploadID, 0, 1000)
			if err == nil {
				got += len(res.ObjectParts)
			}
		}
		if got >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d parts of %s on the server before the commit; want %d: the copy does not follow the write", got, key, n)
		}
	}
}

// offsiteRandom returns n bytes no compressor shrinks, the same for a seed.
func offsiteRandom(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}
