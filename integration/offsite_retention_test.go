//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// offsiteUploadDays commits and uploads one archive of name per day, the
// newest at last, oldest first, and returns their keys.
func offsiteUploadDays(t *testing.T, remote *offsite.Remote, name string, last time.Time, days int) []string {
	t.Helper()
	root := t.TempDir()
	var keys []string
	for d := days - 1; d >= 0; d-- {
		created := last.AddDate(0, 0, -d)
		path := offsiteArchiveAt(t, root, name, created, []byte(fmt.Sprintf("-- dump of %s taken %s\n", name, created)))
		res, err := remote.Upload(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, res.Key)
	}
	return keys
}

// offsiteTamper rewrites the object at key with one bit flipped, same size.
func offsiteTamper(t *testing.T, c *minio.Client, bucket, key string) {
	t.Helper()
	ctx := context.Background()
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	data[len(data)/2] ^= 0x04
	if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func offsitePut(t *testing.T, c *minio.Client, bucket, key, content string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), bucket, key, strings.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestOffsiteRetention applies retention to the remote copies: the policy's
// copies stay, the others go with their sidecars, another name's copies are
// untouched; a tampered newest copy is reported and the newest copy that
// verifies is kept whatever the policy says; forged sidecars make a Problem,
// never a copy; an interrupted prune's remains are removed once old enough.
func TestOffsiteRetention(t *testing.T) {
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	client := s3.Client(t)
	remote, log := offsiteRemote(t, s3.Settings(bucket, "retention"), offsite.Options{})
	ctx := context.Background()
	last := time.Date(2026, 6, 30, 3, 0, 0, 0, time.UTC)
	keys := offsiteUploadDays(t, remote, "shop", last, 7)
	others := offsiteUploadDays(t, remote, "shop-eu", last, 2)
	now := last.Add(time.Hour)

	t.Run("count", func(t *testing.T) {
		res, err := remote.Prune(ctx, "shop", store.Policy{MaxCount: 3}, now, offsite.PruneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var wantRemoved []string
		for _, k := range keys[:4] {
			wantRemoved = append(wantRemoved, k+store.ChecksumExt, k+store.MetaExt, k)
		}
		if !slices.Equal(res.Removed, wantRemoved) || res.NewestVerified != keys[6] {
			t.Fatalf("removed %v (newest verified %s); want %v in that order", res.Removed, res.NewestVerified, wantRemoved)
		}
		left := offsiteKeys(t, client, bucket)
		for _, k := range append(keys[4:], others...) {
			for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
				if _, ok := left[k+ext]; !ok {
					t.Errorf("%s was removed", k+ext)
				}
			}
		}
		if len(left) != 3*(3+len(others)) {
			t.Errorf("left in the bucket: %v", left)
		}
	})

	t.Run("the newest copy that verifies stays", func(t *testing.T) {
		offsiteTamper(t, client, bucket, keys[6])
		if _, err := remote.Verify(ctx, keys[6]); !errors.Is(err, store.ErrChecksumMismatch) {
			t.Fatalf("verify of a tampered copy: %v", err)
		}
		res, err := remote.Prune(ctx, "shop", store.Policy{MaxCount: 1}, now, offsite.PruneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.NewestVerified != keys[5] || len(res.Problems) != 1 || res.Problems[0].Key != keys[6] ||
			!errors.Is(res.Problems[0].Err, store.ErrChecksumMismatch) {
			t.Fatalf("newest verified %s, problems %v; want %s verified and %s reported", res.NewestVerified, res.Problems, keys[5], keys[6])
		}
		wantRemoved := []string{keys[4] + store.ChecksumExt, keys[4] + store.MetaExt, keys[4]}
		if !slices.Equal(res.Removed, wantRemoved) {
			t.Fatalf("removed %v; want only %v", res.Removed, wantRemoved)
		}
	})

	t.Run("nothing verifies: nothing removed", func(t *testing.T) {
		offsiteTamper(t, client, bucket, keys[5])
		before := offsiteKeys(t, client, bucket)
		res, err := remote.Prune(ctx, "shop", store.Policy{MaxCount: 1}, now, offsite.PruneOptions{})
		if err == nil || !strings.Contains(err.Error(), "no remote copy") || len(res.Removed) != 0 {
			t.Fatalf("prune with no good copy: %v, removed %v", err, res.Removed)
		}
		if after := offsiteKeys(t, client, bucket); len(after) != len(before) {
			t.Fatalf("objects removed: %d before, %d after", len(before), len(after))
		}
	})

	t.Run("forged sidecars are a problem, not a copy", func(t *testing.T) {
		forged := "retention/shop/2026-06-30/shop-20260630T040000Z.sql"
		offsitePut(t, client, bucket, forged, "-- not what the sidecars say\n")
		offsitePut(t, client, bucket, forged+store.ChecksumExt, strings.Repeat("ab", 32)+"  shop-20260630T040000Z.sql\n")
		offsitePut(t, client, bucket, forged+store.MetaExt, `{"format":1,"name":"shop","created":"2026-06-30T04:00:00Z","size":29,"sha256":"`+
			strings.Repeat("cd", 32)+`","compression":"none","file":"shop-20260630T040000Z.sql"}`)
		listing, err := remote.List(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range listing.Copies {
			if c.Key == forged {
				t.Fatalf("a copy whose sidecars disagree is listed as a copy: %+v", c)
			}
		}
		if len(listing.Problems) != 1 || listing.Problems[0].Key != forged || !errors.Is(listing.Problems[0].Err, store.ErrDamaged) {
			t.Fatalf("problems %v; want %s reported as damaged", listing.Problems, forged)
		}
	})

	t.Run("an interrupted prune's remains", func(t *testing.T) {
		victim := others[0]
		if err := client.RemoveObject(ctx, bucket, victim+store.ChecksumExt, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		listing, err := remote.List(ctx, "shop-eu")
		if err != nil {
			t.Fatal(err)
		}
		if len(listing.Copies) != 1 || len(listing.Leftovers) != 2 {
			t.Fatalf("listing %+v; want one copy and the two remains of %s", listing, victim)
		}
		res, err := remote.Prune(ctx, "shop-eu", store.Policy{}, now, offsite.PruneOptions{})
		if err != nil || len(res.Removed) != 0 {
			t.Fatalf("prune removed %v (err %v) of leftovers younger than a day", res.Removed, err)
		}
		res, err = remote.Prune(ctx, "shop-eu", store.Policy{}, now, offsite.PruneOptions{LeftoverAge: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{victim + store.MetaExt, victim}; !slices.Equal(res.Removed, want) {
			t.Fatalf("removed %v; want %v", res.Removed, want)
		}
	})
	offsiteNoSecrets(t, "the log", log.String(), s3)
}
