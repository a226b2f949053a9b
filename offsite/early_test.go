package offsite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// beginEarly starts an uncompressed archive of name under root and its early copy.
func beginEarly(t *testing.T, r *Remote, root, name string) (*store.Pending, *Early) {
	t.Helper()
	p, err := store.Create(root, store.Meta{Name: name, Created: created}, "sql", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Abort)
	data, err := p.OpenWritten()
	if err != nil {
		t.Fatal(err)
	}
	n, c, file := p.Planned()
	return p, r.Begin(context.Background(), Growing{Name: n, Created: c, File: file, Data: data, Written: p.Written})
}

// waitForParts waits until the store holds n parts of uploads in progress.
func waitForParts(t *testing.T, st *memStore, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); st.partsReceived() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d parts received before the commit; want %d: the copy does not follow the write", st.partsReceived(), n)
		}
	}
}

func write(t *testing.T, p *store.Pending, b []byte) {
	t.Helper()
	if _, err := p.Write(b); err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, p *store.Pending) string {
	t.Helper()
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// The parts go while the archive is written; the copy completes at Finish,
// with the archive's exact bytes and its sidecars, and nothing before.
func TestEarlyCopySendsPartsWhileWriting(t *testing.T) {
	r, st := testRemote(t, "site")
	p, e := beginEarly(t, r, t.TempDir(), "shop")
	content := bigContent(13 << 20)
	write(t, p, content[:11<<20]) // two whole parts and the write buffer's worth
	waitForParts(t, st, 2)
	if len(st.keys()) != 0 {
		t.Fatalf("visible before the commit: %v", st.keys())
	}
	write(t, p, content[11<<20:])
	path := commit(t, p)
	res, err := e.Finish(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	key := "site/shop/2026-05-04/shop-20260504T030201Z.sql"
	if !res.Early || res.Parts != 3 || res.Key != key || res.Size != 13<<20 {
		t.Fatalf("result %+v; want an early copy of 3 parts under %s", res, key)
	}
	for _, ext := range []string{"", ".json", ".sha256"} {
		if !bytes.Equal(st.objects[key+ext].data, readFile(t, path+ext)) {
			t.Errorf("%s differs from the local file", key+ext)
		}
	}
	if len(st.pending) != 0 {
		t.Errorf("multipart uploads left: %v", st.pending)
	}
}

// A backup that fails leaves nothing in the bucket: the parts sent are discarded.
func TestEarlyCopyOfAFailedBackupLeavesNothing(t *testing.T) {
	r, st := testRemote(t, "")
	p, e := beginEarly(t, r, t.TempDir(), "shop")
	write(t, p, bigContent(12<<20))
	waitForParts(t, st, 2)
	p.Abort()
	e.Cancel()
	e.Cancel() // twice is harmless
	if len(st.keys()) != 0 || len(st.pending) != 0 {
		t.Fatalf("left behind: objects %v, uploads %v", st.keys(), st.pending)
	}
}

// When the parts sent cannot become the copy, the committed archive is copied
// as Upload does, and the early upload is discarded.
func TestEarlyCopyFallsBackToTheCommittedArchive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(t *testing.T, st *memStore, root string) // before the write
		size      int
		wantKey   string
		wantEarly bool
	}{
		{"one part: one request after the commit", nil, 3 << 20, "shop/2026-05-04/shop-20260504T030201Z.sql", false},
		{"a part refused for good before the commit", func(t *testing.T, st *memStore, root string) {
			st.fail("putPart", &apiError{Status: 400, Code: "InvalidPart"})
		}, 12 << 20, "shop/2026-05-04/shop-20260504T030201Z.sql", false},
		{"the server lost the upload", func(t *testing.T, st *memStore, root string) {
			st.fail("putPart", nil, &apiError{Status: 404, Code: "NoSuchUpload"})
		}, 12 << 20, "shop/2026-05-04/shop-20260504T030201Z.sql", false},
		{"the planned name was taken", func(t *testing.T, st *memStore, root string) {
			testArchiveIn(t, root, "shop", created, []byte("another archive of the same second\n"))
		}, 12 << 20, "shop/2026-05-04/shop-20260504T030201Z-1.sql", false},
		{"nothing wrong", nil, 12 << 20, "shop/2026-05-04/shop-20260504T030201Z.sql", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st := testRemote(t, "")
			root := t.TempDir()
			p, e := beginEarly(t, r, root, "shop")
			if tc.setup != nil {
				tc.setup(t, st, root)
			}
			write(t, p, bigContent(tc.size))
			path := commit(t, p)
			res, err := e.Finish(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if res.Key != tc.wantKey || res.Early != tc.wantEarly {
				t.Fatalf("result %+v; want key %s, early %v", res, tc.wantKey, tc.wantEarly)
			}
			if !bytes.Equal(st.objects[tc.wantKey].data, readFile(t, path)) || st.objects[tc.wantKey+".sha256"].data == nil {
				t.Fatal("the stored copy differs from the committed archive")
			}
			if len(st.pending) != 0 {
				t.Errorf("multipart uploads left: %v", st.pending)
			}
		})
	}
}

// gatedGrowing is a committed archive the test presents as still being
// written: the early copy reads only as far as the test lets it.
func gatedGrowing(t *testing.T, path string) (Growing, *atomic.Int64) {
	t.Helper()
	data, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	base := filepath.Base(path)
	return Growing{Name: "shop", Created: created, File: base, Data: data, Written: written.Load}, &written
}

// Bytes that changed in the file before they were sent never become a copy:
// the hash of what was sent differs from the .sha256, and the committed
// archive, read again, fails its check too.
func TestEarlyCopyOfBytesThatChangedIsRefused(t *testing.T) {
	r, st := testRemote(t, "")
	path := testArchive(t, "shop", created, bigContent(12<<20))
	g, written := gatedGrowing(t, path)
	e := r.Begin(context.Background(), g)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("tampered"), 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	written.Store(12 << 20)
	_, err = e.Finish(context.Background(), path)
	if !errors.Is(err, store.ErrChecksumMismatch) {
		t.Fatalf("error %v; want a checksum mismatch", err)
	}
	if len(st.keys()) != 0 || len(st.pending) != 0 {
		t.Fatalf("left behind: objects %v, uploads %v", st.keys(), st.pending)
	}
}

// A request that fails for good after the commit fails the copy at once:
// the server is down now, and sending the whole archive again would only
// double the wait (the next backup catches the copy up).
func TestEarlyCopyFailingAfterTheCommitIsNotSentTwice(t *testing.T) {
	r, st := testRemote(t, "")
	path := testArchive(t, "shop", created, bigContent(12<<20))
	g, written := gatedGrowing(t, path)
	e := r.Begin(context.Background(), g)
	written.Store(6 << 20)
	waitForParts(t, st, 1)
	st.fail("putPart", errReset, errReset, errReset, errReset)
	_, err := e.Finish(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("error %v; want the server's failure", err)
	}
	if st.callsOf("createUpload") != 1 || st.callsOf("put") != 0 {
		t.Errorf("sent again: %d multipart uploads, %d single requests", st.callsOf("createUpload"), st.callsOf("put"))
	}
	if len(st.keys()) != 0 || len(st.pending) != 0 {
		t.Fatalf("left behind: objects %v, uploads %v", st.keys(), st.pending)
	}
}
