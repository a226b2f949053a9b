package offsite

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/store"
)

// testRemote is a Remote on a memStore with instant retries.
func testRemote(t *testing.T, prefix string) (*Remote, *memStore) {
	t.Helper()
	st := newMemStore()
	log := logrus.New()
	log.SetOutput(io.Discard)
	r := newRemote(Settings{Endpoint: "s3.test", Bucket: "bucket", Prefix: prefix, AccessKey: "AKIDTEST", SecretKey: "s3cr3t-key"}, st,
		Options{Log: logrus.NewEntry(log), Retry: RetryPolicy{Attempts: 4, First: time.Millisecond, Max: time.Millisecond}, PartSize: minPartSize,
			Concurrency: 1}) // failures queued for the store hit the parts in order
	return r, st
}

// testArchive commits an uncompressed archive of content under a temp root.
func testArchive(t *testing.T, name string, created time.Time, content []byte) string {
	t.Helper()
	return testArchiveIn(t, t.TempDir(), name, created, content)
}

// testArchiveIn commits an uncompressed archive of content under root.
func testArchiveIn(t *testing.T, root, name string, created time.Time, content []byte) string {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Created: created}, "sql", store.Options{Compression: store.None})
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

// bigContent returns n bytes that differ along their length.
func bigContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/4096)
	}
	return b
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
