//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// TestOffsiteOpenStreams reads remote copies back without staging them: the
// bytes of an age-encrypted copy go straight from the bucket into the stock
// `age -d | zstd -d` and come out as the original dump; a read the network cuts
// off resumes; a flipped byte in the bucket fails the read at its end and
// Verify; sidecars that contradict the archive fail Open.
func TestOffsiteOpenStreams(t *testing.T) {
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	client := s3.Client(t)
	work := t.TempDir()
	key := filepath.Join(work, "key.txt")
	recipient := strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "-o", key))
	dump := append(storeSQLDump(t, 21, 6<<20), storePGFooter...)
	path := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(dump), nil,
		"archive", "pack", "--dir", filepath.Join(work, "b"), "--name", "shop", "--ext", "sql", "--recipient", recipient))
	// Reads go through a proxy that cuts the first download after 1 MiB.
	proxy := newCutProxy(t, s3.Endpoint(), 1<<20, 0, true)
	settings := s3.Settings(bucket, "")
	settings.Endpoint = proxy.addr()
	remote, log := offsiteRemote(t, settings, offsite.Options{PartSize: 5 << 20})
	up, err := remote.Upload(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("restore through the stock tools, resuming a cut read", func(t *testing.T) {
		proxy.cuts.Store(1)
		r, err := remote.Open(context.Background(), up.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		cmd := exec.Command("sh", "-c", `"$1" -d -i "$2" | "$3" -d`, "sh", rig.Tool(t, "age"), key, rig.Tool(t, "zstd"))
		cmd.Stdin = r
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("age -d | zstd -d from the bucket: %v: %s", err, stderr.String())
		}
		if !bytes.Equal(out.Bytes(), dump) {
			t.Fatalf("restored %d bytes, not the %d of the dump", out.Len(), len(dump))
		}
		if proxy.cutDone.Load() != 1 || r.Retries() != 1 || r.Meta().SHA256 != mustMeta(t, path).SHA256 {
			t.Fatalf("%d cuts, %d resumes; want the cut read resumed once", proxy.cutDone.Load(), r.Retries())
		}
	})

	t.Run("a flipped byte fails the read", func(t *testing.T) {
		offsiteTamper(t, client, bucket, up.Key)
		if _, err := remote.Verify(context.Background(), up.Key); !errors.Is(err, store.ErrChecksumMismatch) {
			t.Fatalf("verify of a copy with a flipped byte: %v", err)
		}
		r, err := remote.Open(context.Background(), up.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n, err := io.Copy(io.Discard, r)
		if !errors.Is(err, store.ErrChecksumMismatch) || n != up.Size || !strings.Contains(err.Error(), "s3://"+bucket+"/"+up.Key) {
			t.Fatalf("read %d of %d bytes, error %v; want the mismatch at the end, naming the copy", n, up.Size, err)
		}
	})

	t.Run("sidecars that contradict the archive", func(t *testing.T) {
		sum, _ := os.ReadFile(path + store.ChecksumExt)
		offsitePut(t, client, bucket, up.Key+store.ChecksumExt, strings.Replace(string(sum), filepath.Base(path), "other.sql.zst.age", 1))
		_, err := remote.Open(context.Background(), up.Key)
		if !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("open with a .sha256 naming another file: %v", err)
		}
		if _, err := remote.Open(context.Background(), "shop/../etc/passwd"); err == nil {
			t.Fatal("open of a key outside the layout succeeded")
		}
	})
	offsiteNoSecrets(t, "the log", log.String(), s3)
}

func mustMeta(t *testing.T, path string) store.Meta {
	t.Helper()
	m, err := store.ReadMetaFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
