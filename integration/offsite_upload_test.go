//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// TestOffsiteUploadArrives uploads archives made by `baktainer archive pack`
// (zstd, zstd + age, and an uncompressed one larger than a part, which goes as
// a multipart upload) to a real S3 server, downloads them with a plain S3
// client, and checks them with the stock sha256sum -c and byte for byte.
func TestOffsiteUploadArrives(t *testing.T) {
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	client := s3.Client(t)
	work := t.TempDir()
	root := filepath.Join(work, "backups")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", filepath.Join(work, "key.txt")))
	remote, log := offsiteRemote(t, s3.Settings(bucket, "site-a/"), offsite.Options{PartSize: 5 << 20})
	sha256sum := rig.Tool(t, "sha256sum")

	for _, tc := range []struct {
		name      string
		size      int64
		args      []string
		wantParts int
	}{
		{"zstd", 1 << 20, nil, 0},
		{"age", 1 << 20, []string{"--recipient", recipient}, 0},
		{"multipart", 12 << 20, []string{"--compress", "none"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := offsitePack(t, root, "shop-"+tc.name, 7, tc.size, tc.args...)
			meta, err := store.ReadMetaFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := remote.Upload(context.Background(), path)
			if err != nil {
				t.Fatalf("upload: %v", err)
			}
			wantKey := "site-a/" + meta.Name + "/" + meta.Created.Format("2006-01-02") + "/" + meta.File
			if res.Key != wantKey || res.Size != meta.Size || res.Parts != tc.wantParts || res.Retries != 0 || res.Skipped || res.Bytes != meta.Size {
				t.Fatalf("upload result %+v; want key %s, %d bytes, %d parts, no retry", res, wantKey, meta.Size, tc.wantParts)
			}
			if tc.wantParts > 0 {
				// The server gives S3's multipart ETag (MD5 of the parts' MD5s, "-N"),
				// which Upload compares with the parts it sent.
				info, err := client.StatObject(context.Background(), bucket, res.Key, minio.StatObjectOptions{})
				if err != nil || !strings.HasSuffix(info.ETag, fmt.Sprintf("-%d", tc.wantParts)) {
					t.Fatalf("stat of a multipart copy: ETag %q, %v", info.ETag, err)
				}
			}
			got := offsiteDownload(t, client, bucket, res.Key, t.TempDir())
			cmd := rig.Run(t, nil, "sh", "-c", "cd \"$1\" && \"$2\" -c \"$3\"", "sh", filepath.Dir(got), sha256sum, filepath.Base(got)+store.ChecksumExt)
			if !strings.Contains(string(cmd), ": OK") {
				t.Fatalf("sha256sum -c: %s", cmd)
			}
			for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
				local, _ := os.ReadFile(path + ext)
				remote, _ := os.ReadFile(got + ext)
				if !bytes.Equal(local, remote) {
					t.Fatalf("%s differs from the local one (%d and %d bytes)", res.Key+ext, len(remote), len(local))
				}
			}
			// The copy opens as the local archive does (store reads it: the
			// checksum sidecar names the file, the metadata agrees).
			if _, err := store.Verify(got); err != nil {
				t.Fatalf("store.Verify of the downloaded copy: %v", err)
			}
			again, err := remote.Upload(context.Background(), path)
			if err != nil || !again.Skipped || again.Bytes != 0 {
				t.Fatalf("second upload of the same archive: %+v, %v; want skipped, nothing sent", again, err)
			}
		})
	}
	if strings.Contains(log.String(), "level=warning") {
		t.Errorf("warnings on a clean upload:\n%s", log)
	}
	offsiteNoSecrets(t, "the log", log.String(), s3)
}

// TestOffsiteUploadNeverOverwrites: a different archive under a key a copy
// already has (another host's backup of the same name in the same second) is
// refused, and the copy there stays as it was.
func TestOffsiteUploadNeverOverwrites(t *testing.T) {
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	created := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	first := offsiteArchiveAt(t, t.TempDir(), "shop", created, []byte("first host's dump\n"))
	second := offsiteArchiveAt(t, t.TempDir(), "shop", created, []byte("second host's dump\n"))
	remote, _ := offsiteRemote(t, s3.Settings(bucket, ""), offsite.Options{})
	res, err := remote.Upload(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Upload(context.Background(), second)
	if !errors.Is(err, offsite.ErrExists) || !strings.Contains(err.Error(), "s3://"+bucket+"/"+res.Key+".sha256") {
		t.Fatalf("upload of a different archive under the same key: %v; want ErrExists naming the key", err)
	}
	obj, err := s3.Client(t).GetObject(context.Background(), bucket, res.Key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(obj); err != nil || got.String() != "first host's dump\n" {
		t.Fatalf("the first copy changed: %q, %v", got.String(), err)
	}
}
