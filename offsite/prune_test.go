package offsite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// uploadDays uploads one small archive of name per day, oldest first.
func uploadDays(t *testing.T, r *Remote, name string, days int) []string {
	t.Helper()
	var keys []string
	for d := days - 1; d >= 0; d-- {
		path := testArchive(t, name, created.AddDate(0, 0, -d), []byte("dump "+created.AddDate(0, 0, -d).String()+"\n"))
		res, err := r.Upload(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, res.Key)
	}
	return keys
}

// TestPruneInterrupted: a prune cut off after removing a copy's .sha256 leaves
// no copy that looks complete; the next prune removes the remains.
func TestPruneInterrupted(t *testing.T) {
	r, st := testRemote(t, "p")
	keys := uploadDays(t, r, "shop", 3)
	st.fail("remove:"+keys[0]+".json", &apiError{Status: 403, Code: "AccessDenied"})
	_, err := r.Prune(context.Background(), "shop", store.Policy{MaxCount: 1}, created, PruneOptions{})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), keys[0]+".json") {
		t.Fatalf("prune with a refused remove: %v", err)
	}
	listing, err := r.List(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, c := range listing.Copies {
		listed = append(listed, c.Key)
	}
	if !slices.Equal(listed, keys[1:]) || len(listing.Leftovers) != 2 {
		t.Fatalf("after the interrupted prune: copies %v, leftovers %v", listed, listing.Leftovers)
	}
	res, err := r.Prune(context.Background(), "shop", store.Policy{MaxCount: 1}, created, PruneOptions{LeftoverAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{keys[1] + ".sha256", keys[1] + ".json", keys[1], keys[0] + ".json", keys[0]}
	if !slices.Equal(res.Removed, want) {
		t.Fatalf("removed %v; want %v", res.Removed, want)
	}
}

// TestPruneStopsWhenVerifyCannotRead: a copy that cannot be read (the network)
// is not taken as bad: the prune stops and removes nothing.
func TestPruneStopsWhenVerifyCannotRead(t *testing.T) {
	r, st := testRemote(t, "")
	uploadDays(t, r, "shop", 3)
	before := st.keys()
	// The two sidecar reads of each copy in List pass; then every read fails.
	st.fail("get", slices.Repeat([]error{nil}, 6)...)
	st.fail("get", slices.Repeat([]error{errReset}, 20)...)
	_, err := r.Prune(context.Background(), "shop", store.Policy{MaxCount: 1}, created, PruneOptions{})
	if err == nil || !strings.Contains(err.Error(), "verify") {
		t.Fatalf("prune while reads fail: %v", err)
	}
	if !slices.Equal(st.keys(), before) {
		t.Fatalf("removed objects: %v -> %v", before, st.keys())
	}
}

func TestPruneAbortsStaleUploadsOnly(t *testing.T) {
	r, st := testRemote(t, "")
	ctx := context.Background()
	key := "shop/2026-05-04/shop-20260504T030201Z.sql"
	if _, err := st.createUpload(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := st.createUpload(ctx, "shop/not-ours"); err != nil {
		t.Fatal(err)
	}
	res, err := r.Prune(ctx, "shop", store.Policy{}, created, PruneOptions{})
	if err != nil || len(res.Aborted) != 0 {
		t.Fatalf("prune aborted %v (err %v) of uploads younger than a day", res.Aborted, err)
	}
	res, err = r.Prune(ctx, "shop", store.Policy{}, created, PruneOptions{LeftoverAge: time.Nanosecond})
	if err != nil || !slices.Equal(res.Aborted, []string{key}) || len(st.pending) != 1 {
		t.Fatalf("aborted %v, %d left, err %v; want only baktainer's upload aborted", res.Aborted, len(st.pending), err)
	}
}

func TestListCapsHostileSidecars(t *testing.T) {
	r, st := testRemote(t, "")
	keys := uploadDays(t, r, "shop", 2)
	st.set(keys[0]+".json", bytes.Repeat([]byte("{"), maxMetaSidecar+1))
	st.set("shop/2026-05-04/notes.txt", []byte("a stranger's file"))
	listing, err := r.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(listing.Copies) != 1 || len(listing.Problems) != 1 || !errors.Is(listing.Problems[0].Err, store.ErrDamaged) ||
		!slices.Equal(listing.Unexpected, []string{"shop/2026-05-04/notes.txt"}) {
		t.Fatalf("listing %+v", listing)
	}
}

// TestOpenResumesAndChecks: a read cut twice resumes where it stopped and still
// verifies; a copy changed under the reader is not mixed into it.
func TestOpenResumesAndChecks(t *testing.T) {
	r, st := testRemote(t, "")
	content := bigContent(3 << 20)
	res, err := r.Upload(context.Background(), testArchive(t, "shop", created, content))
	if err != nil {
		t.Fatal(err)
	}
	st.cutReads = []int64{1 << 20, 1 << 20}
	a, err := r.Open(context.Background(), res.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(a)
	if err != nil || !bytes.Equal(got, content) || a.Retries() != 2 {
		t.Fatalf("read %d bytes, %d resumes, err %v", len(got), a.Retries(), err)
	}

	st.cutReads = []int64{1 << 20}
	a, err = r.Open(context.Background(), res.Key)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(content)
	changed[0] ^= 1
	st.set(res.Key, changed)
	if _, err := io.ReadAll(a); err == nil || !strings.Contains(err.Error(), "PreconditionFailed") {
		t.Fatalf("a resumed read of a replaced object: %v", err)
	}
}
