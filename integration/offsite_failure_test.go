//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// offsiteUploadWatched uploads path through remote while a plain client lists
// the bucket, and fails the test if a final key was ever visible too early or
// incomplete. It returns the upload's result and error.
func offsiteUploadWatched(t *testing.T, s3 *rig.S3, bucket, prefix string, remote *offsite.Remote, path string) (offsite.Upload, error) {
	t.Helper()
	meta, err := store.ReadMetaFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := prefix + meta.Name + "/" + meta.Created.Format("2006-01-02") + "/" + meta.File
	stop := make(chan struct{})
	violations := offsiteWatch(s3.Client(t), bucket, key, meta.Size, stop)
	res, err := remote.Upload(context.Background(), path)
	close(stop)
	bad, listings := violations()
	if len(bad) > 0 {
		t.Errorf("seen in the bucket while uploading (%d listings): %v", listings, bad)
	}
	t.Logf("upload: %+v, err %v; %d listings of the bucket while it ran", res, err, listings)
	return res, err
}

// offsiteCheckCopy downloads the copy at key with a plain client and checks it.
func offsiteCheckCopy(t *testing.T, s3 *rig.S3, bucket, key, local string) {
	t.Helper()
	got := offsiteDownload(t, s3.Client(t), bucket, key, t.TempDir())
	meta, err := store.Verify(got)
	if err != nil {
		t.Fatalf("the copy does not verify: %v", err)
	}
	want, _ := store.ReadMetaFile(local)
	if meta.SHA256 != want.SHA256 {
		t.Fatalf("the copy's checksum %s is not the local archive's %s", meta.SHA256, want.SHA256)
	}
	for u := range s3.Client(t).ListIncompleteUploads(context.Background(), bucket, "", true) {
		t.Errorf("multipart upload left behind: %+v", u)
	}
}

// TestOffsiteUploadCutOff: the network drops the connection twice in the
// middle of an upload (a proxy cuts it after 3 MiB); the upload retries and
// completes, and no partial object is ever visible under a final key.
func TestOffsiteUploadCutOff(t *testing.T) {
	s3 := rig.SharedS3(t)
	root := t.TempDir()
	for _, tc := range []struct {
		name string
		size int64
	}{{"multipart", 14 << 20}, {"single request", 4 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := s3.Bucket(t)
			proxy := newCutProxy(t, s3.Endpoint(), 3<<20, 2, false)
			settings := s3.Settings(bucket, "")
			settings.Endpoint = proxy.addr()
			remote, log := offsiteRemote(t, settings, offsite.Options{PartSize: 5 << 20})
			path := offsitePack(t, root, "cut-"+strings.ReplaceAll(tc.name, " ", "-"), 11, tc.size, "--compress", "none")
			res, err := offsiteUploadWatched(t, s3, bucket, "", remote, path)
			if err != nil {
				t.Fatalf("upload through a proxy that cuts twice: %v\n%s", err, log)
			}
			if proxy.cutDone.Load() != 2 || res.Retries < 2 || res.Bytes <= res.Size {
				t.Fatalf("%d cuts, %d retries, %d bytes sent for %d; want 2 cuts retried, bytes sent again", proxy.cutDone.Load(), res.Retries, res.Bytes, res.Size)
			}
			if !strings.Contains(log.String(), "retrying") {
				t.Errorf("no retry logged:\n%s", log)
			}
			offsiteCheckCopy(t, s3, bucket, res.Key, path)
		})
	}
}

// TestOffsiteUploadDamagedInTransit: a proxy flips one bit of a request body.
// The server checks every request's bytes against the SHA-256 sent with it and
// refuses them; the request is sent again and the copy is intact. This is
// what the package relies on the server for.
func TestOffsiteUploadDamagedInTransit(t *testing.T) {
	s3 := rig.SharedS3(t)
	root := t.TempDir()
	for _, tc := range []struct {
		name string
		size int64
	}{{"multipart", 12 << 20}, {"single request", 3 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := s3.Bucket(t)
			proxy := newCutProxy(t, s3.Endpoint(), 2<<20, 1, false)
			proxy.flip = true
			settings := s3.Settings(bucket, "")
			settings.Endpoint = proxy.addr()
			remote, log := offsiteRemote(t, settings, offsite.Options{PartSize: 5 << 20})
			path := offsitePack(t, root, "flip-"+strings.ReplaceAll(tc.name, " ", "-"), 12, tc.size, "--compress", "none")
			res, err := offsiteUploadWatched(t, s3, bucket, "", remote, path)
			if err != nil {
				t.Fatalf("upload: %v\n%s", err, log)
			}
			if proxy.cutDone.Load() != 1 || res.Retries != 1 {
				t.Fatalf("%d bits flipped, %d retries; want the damaged request refused and sent again\n%s", proxy.cutDone.Load(), res.Retries, log)
			}
			if !strings.Contains(log.String(), "SHA256Mismatch") && !strings.Contains(log.String(), "BadDigest") {
				t.Errorf("the retry was not for a checksum refusal:\n%s", log)
			}
			offsiteCheckCopy(t, s3, bucket, res.Key, path)
		})
	}
}

// TestOffsiteUploadServerKilled: the S3 server is SIGKILLed in the middle of a
// multipart upload and started again a second later; the upload rides it out
// and completes, with nothing partial ever visible.
func TestOffsiteUploadServerKilled(t *testing.T) {
	s3 := rig.OwnS3(t)
	bucket := s3.Bucket(t)
	proxy := newCutProxy(t, s3.Endpoint(), 0, 0, false)
	var once sync.Once
	restarted := make(chan error, 1)
	proxy.onBytes = func(total int64) {
		if total < 18<<20 {
			return
		}
		once.Do(func() {
			go func() {
				err := s3.Kill()
				time.Sleep(time.Second)
				restarted <- errors.Join(err, s3.Start())
			}()
		})
	}
	settings := s3.Settings(bucket, "")
	settings.Endpoint = proxy.addr()
	// Patient enough for a restart (the server's own start-up takes ~30 s).
	remote, log := offsiteRemote(t, settings, offsite.Options{
		PartSize: 5 << 20, Retry: offsite.RetryPolicy{Attempts: 12, First: 500 * time.Millisecond, Max: 10 * time.Second},
	})
	path := offsitePack(t, t.TempDir(), "killed", 13, 40<<20, "--compress", "none")
	res, err := offsiteUploadWatched(t, s3, bucket, "", remote, path)
	if rerr := <-restarted; rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("upload across a server restart: %v\n%s", err, log)
	}
	if res.Retries == 0 {
		t.Fatalf("no retry across a server kill: %+v", res)
	}
	offsiteCheckCopy(t, s3, bucket, res.Key, path)
}

// TestOffsiteServerDownForGood: the server dies mid-upload and stays down. The
// upload fails after its retries with an error naming the bucket and key (no
// credential), and nothing is under a final key; once the server is back, Prune
// aborts the upload left on it and the next upload succeeds.
func TestOffsiteServerDownForGood(t *testing.T) {
	s3 := rig.OwnS3(t)
	bucket := s3.Bucket(t)
	proxy := newCutProxy(t, s3.Endpoint(), 0, 0, false)
	var once sync.Once
	killed := make(chan error, 1)
	proxy.onBytes = func(total int64) {
		if total >= 7<<20 {
			once.Do(func() { go func() { killed <- s3.Kill() }() })
		}
	}
	settings := s3.Settings(bucket, "site")
	settings.Endpoint = proxy.addr()
	remote, log := offsiteRemote(t, settings, offsite.Options{
		PartSize: 5 << 20, Retry: offsite.RetryPolicy{Attempts: 4, First: 200 * time.Millisecond, Max: time.Second},
	})
	path := offsitePack(t, t.TempDir(), "down", 14, 20<<20, "--compress", "none")
	started := time.Now()
	res, err := remote.Upload(context.Background(), path)
	if kerr := <-killed; kerr != nil {
		t.Fatal(kerr)
	}
	if err == nil {
		t.Fatalf("upload to a dead server succeeded: %+v", res)
	}
	t.Logf("error after %s: %v", time.Since(started).Round(time.Millisecond), err)
	if want := fmt.Sprintf("s3://%s/%s", bucket, res.Key); !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "gave up after 4 attempts") || res.Retries < 3 {
		t.Fatalf("error %q (%d retries); want it to name %s and the attempts", err, res.Retries, want)
	}
	offsiteNoSecrets(t, "the error", err.Error(), s3)
	offsiteNoSecrets(t, "the log", log.String(), s3)

	if err := s3.Start(); err != nil {
		t.Fatal(err)
	}
	client := s3.Client(t)
	if keys := offsiteKeys(t, client, bucket); len(keys) != 0 {
		t.Fatalf("objects under final keys after a failed upload: %v", keys)
	}
	pruned, err := remote.Prune(context.Background(), "down", store.Policy{}, time.Now().Add(time.Hour), offsite.PruneOptions{LeftoverAge: time.Nanosecond})
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	t.Logf("prune aborted %v", pruned.Aborted)
	for u := range client.ListIncompleteUploads(context.Background(), bucket, "", true) {
		t.Errorf("multipart upload left after prune: %+v", u)
	}
	res, err = remote.Upload(context.Background(), path)
	if err != nil {
		t.Fatalf("upload once the server is back: %v", err)
	}
	offsiteCheckCopy(t, s3, bucket, res.Key, path)
}

// TestOffsiteUnreachable: nothing listens at the endpoint at all. The error
// comes after the retries and says what failed.
func TestOffsiteUnreachable(t *testing.T) {
	s3 := rig.SharedS3(t)
	settings := s3.Settings("bt-never-created", "")
	settings.Endpoint = fmt.Sprintf("127.0.0.1:%d", rig.FreePort(t))
	remote, log := offsiteRemote(t, settings, offsite.Options{})
	path := offsitePack(t, t.TempDir(), "unreachable", 15, 64<<10)
	_, err := remote.Upload(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "s3://bt-never-created/unreachable/") ||
		!strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "gave up after 6 attempts") {
		t.Fatalf("upload to a closed port: %v", err)
	}
	offsiteNoSecrets(t, "the error", err.Error(), s3)
	offsiteNoSecrets(t, "the log", log.String(), s3)
}
