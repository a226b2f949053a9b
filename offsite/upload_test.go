package offsite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

var created = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

func TestUploadOrderAndLayout(t *testing.T) {
	r, st := testRemote(t, "/site/")
	path := testArchive(t, "shop", created, bigContent(12<<20))
	res, err := r.Upload(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	key := "site/shop/2026-05-04/shop-20260504T030201Z.sql"
	if res.Key != key || res.Parts != 3 || res.URL != "s3://bucket/"+key {
		t.Fatalf("result %+v; want key %s in 3 parts", res, key)
	}
	if want := []string{key, key + ".json", key + ".sha256"}; !slices.Equal(st.keys(), want) {
		t.Fatalf("keys %v; want %v", st.keys(), want)
	}
	for _, ext := range []string{"", ".json", ".sha256"} {
		if !bytes.Equal(st.objects[key+ext].data, readFile(t, path+ext)) {
			t.Errorf("%s differs from the local file", key+ext)
		}
	}
}

func TestUploadRetries(t *testing.T) {
	for _, tc := range []struct {
		name        string
		op          string
		errs        []error
		wantRetries int
		wantErr     string
	}{
		{"a reset part", "putPart", []error{nil, errReset}, 1, ""},
		{"throttled", "putPart", []error{&apiError{Status: 503, Code: "SlowDown"}, &apiError{Status: 500, Code: "InternalError"}}, 2, ""},
		{"damaged in transit", "putPart", []error{errDigest}, 1, ""},
		{"damaged in transit twice", "putPart", []error{errDigest, errDigest}, 1, "refused the bytes twice"},
		{"the server forgot the upload", "putPart", []error{nil, &apiError{Status: 404, Code: "NoSuchUpload"}}, 1, ""},
		{"complete failed", "completeUpload", []error{errReset}, 1, ""},
		{"complete's answer lost", "completeUpload", []error{answerLost{errReset}}, 1, ""},
		{"down for good", "putPart", []error{errReset, errReset, errReset, errReset}, 3, "gave up after 4 attempts"},
		{"access denied", "putPart", []error{&apiError{Status: 403, Code: "AccessDenied"}}, 0, "AccessDenied"},
		{"sidecar reset", "put", []error{errReset}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st := testRemote(t, "")
			st.fail(tc.op, tc.errs...)
			path := testArchive(t, "shop", created, bigContent(11<<20))
			res, err := r.Upload(context.Background(), path)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v; want %q", err, tc.wantErr)
			}
			if res.Retries != tc.wantRetries {
				t.Errorf("%d retries; want %d", res.Retries, tc.wantRetries)
			}
			if len(st.pending) != 0 {
				t.Errorf("multipart uploads left: %v", st.pending)
			}
			if tc.wantErr != "" {
				if len(st.keys()) != 0 {
					t.Errorf("a failed upload left %v", st.keys())
				}
				return
			}
			if got := st.objects[res.Key].data; !bytes.Equal(got, readFile(t, path)) {
				t.Errorf("the stored archive differs from the local one")
			}
		})
	}
}

func TestUploadConcurrentParts(t *testing.T) {
	r, st := testRemote(t, "")
	r.opts.Concurrency = 3
	st.fail("putPart", nil, errReset, nil, errDigest, errReset)
	path := testArchive(t, "shop", created, bigContent(26<<20))
	res, err := r.Upload(context.Background(), path)
	if err != nil || res.Parts != 6 || res.Retries != 3 {
		t.Fatalf("upload in 3 parallel streams: %+v, %v", res, err)
	}
	if !bytes.Equal(st.objects[res.Key].data, readFile(t, path)) {
		t.Fatal("the stored archive differs from the local one")
	}
	st.fail("putPart", slices.Repeat([]error{&apiError{Status: 403, Code: "AccessDenied"}}, 6)...)
	other := testArchive(t, "shop", created.Add(time.Hour), bigContent(26<<20))
	if _, err := r.Upload(context.Background(), other); err == nil || len(st.pending) != 0 {
		t.Fatalf("upload refused in parallel streams: %v, %d uploads left", err, len(st.pending))
	}
}

// TestUploadRefusesADamagedLocalArchive: an archive whose bytes no longer
// match its .sha256 is not copied (the copy would be worse than none: it
// would look complete), in one request or in parts.
func TestUploadRefusesADamagedLocalArchive(t *testing.T) {
	for _, size := range []int{1 << 20, 12 << 20} {
		r, st := testRemote(t, "")
		path := testArchive(t, "shop", created, bigContent(size))
		data := readFile(t, path)
		data[len(data)-10] ^= 1
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := r.Upload(context.Background(), path)
		if !errors.Is(err, store.ErrChecksumMismatch) {
			t.Fatalf("%d bytes: upload of a damaged archive: %v", size, err)
		}
		if len(st.keys()) != 0 || len(st.pending) != 0 {
			t.Fatalf("%d bytes: left %v and %d uploads", size, st.keys(), len(st.pending))
		}
	}
}

func TestUploadRefusesBadLocalSidecars(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(path string)
		want   string
	}{
		{"checksum names another file", func(p string) {
			sum := readFile(t, p+".sha256")
			os.WriteFile(p+".sha256", bytes.Replace(sum, []byte("shop-"), []byte("shop2-"), 1), 0o600)
		}, "names"},
		{"metadata too large", func(p string) { os.WriteFile(p+".json", bytes.Repeat([]byte(" "), maxMetaSidecar+1), 0o600) }, "larger than"},
		{"archive is a link", func(p string) { os.Rename(p, p+".real"); os.Symlink(p+".real", p) }, "symbolic link"},
		{"checksum missing", func(p string) { os.Remove(p + ".sha256") }, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st := testRemote(t, "")
			path := testArchive(t, "shop", created, []byte("dump\n"))
			tc.change(path)
			_, err := r.Upload(context.Background(), path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want %q", err, tc.want)
			}
			if len(st.keys()) != 0 {
				t.Fatalf("uploaded %v", st.keys())
			}
		})
	}
}

func TestUploadSkipsAnIdenticalCopyAndKeepsADifferentOne(t *testing.T) {
	r, st := testRemote(t, "")
	path := testArchive(t, "shop", created, []byte("dump one\n"))
	if _, err := r.Upload(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	res, err := r.Upload(context.Background(), path)
	if err != nil || !res.Skipped || st.calls["put"] != 3 {
		t.Fatalf("second upload %+v, %v, %d puts; want skipped", res, err, st.calls["put"])
	}
	other := testArchive(t, "shop", created, []byte("dump two\n"))
	if _, err := r.Upload(context.Background(), other); !errors.Is(err, ErrExists) {
		t.Fatalf("upload of another archive under the same key: %v", err)
	}
}

func TestPartSizeFor(t *testing.T) {
	for _, tc := range []struct{ size, base, want int64 }{
		{1 << 30, 16 << 20, 16 << 20},
		{10000 * (16 << 20), 16 << 20, 16 << 20},
		{10000*(16<<20) + 1, 16 << 20, 17 << 20},
		{5 << 40, 16 << 20, 525 << 20},
	} {
		if got := partSizeFor(tc.size, tc.base); got != tc.want || (tc.size+got-1)/got > maxParts {
			t.Errorf("partSizeFor(%d, %d) = %d; want %d", tc.size, tc.base, got, tc.want)
		}
	}
}

// TestUploadRepairsAnIncompleteCopy: a copy whose .json went missing is not
// taken as there: the upload sends it again.
func TestUploadRepairsAnIncompleteCopy(t *testing.T) {
	r, st := testRemote(t, "")
	path := testArchive(t, "shop", created, []byte("dump\n"))
	res, err := r.Upload(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	delete(st.objects, res.Key+".json")
	again, err := r.Upload(context.Background(), path)
	if err != nil || again.Skipped {
		t.Fatalf("upload over a copy without its .json: %+v, %v; want it sent again", again, err)
	}
	if _, ok := st.objects[res.Key+".json"]; !ok {
		t.Fatal("the .json is still missing")
	}
}
