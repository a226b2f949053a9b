package offsite

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
)

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		prefix, key string
		ok          bool
		sidecar     string
	}{
		{"", "shop/2026-05-04/shop-20260504T030201Z.sql.zst", true, ""},
		{"", "shop/2026-05-04/shop-20260504T030201Z.sql.zst.age.json", true, ".json"},
		{"", "shop/2026-05-04/shop-20260504T030201Z-1.sql.gz.sha256", true, ".sha256"},
		{"a/b", "a/b/my.db-x/2026-05-04/my.db-x-20260504T030201Z.rdb", true, ""},
		{"a/b", "a/bshop/2026-05-04/shop-20260504T030201Z.sql", false, ""},
		{"", "shop/2026-05-05/shop-20260504T030201Z.sql", false, ""},             // day is not the stamp's
		{"", "shop/2026-05-04/other-20260504T030201Z.sql", false, ""},            // another name
		{"", "shop/2026-05-04/shop-20260504T030201Z.SQL", false, ""},             // not an extension store writes
		{"", "shop/2026-05-04/x/shop-20260504T030201Z.sql", false, ""},           // too deep
		{"", "shop/2026-05-04/shop-20260504T030201Z.sql.tar", false, ""},         // not store's
		{"", "../2026-05-04/..-20260504T030201Z.sql", false, ""},                 // hostile name
		{"", "shop/2026-05-04/shop-20260504T030201Z.sql.zst.age.bak", false, ""}, // not store's
	} {
		k, ok := parseKey(tc.prefix, tc.key)
		if ok != tc.ok || ok && k.sidecar != tc.sidecar {
			t.Errorf("parseKey(%q, %q) = %+v, %v; want ok %v, sidecar %q", tc.prefix, tc.key, k, ok, tc.ok, tc.sidecar)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, key string
		ok              bool
	}{
		{"s3://backups/site/shop/2026-05-04/shop-20260504T030201Z.sql", "backups", "site/shop/2026-05-04/shop-20260504T030201Z.sql", true},
		{"s3://backups", "backups", "", true},
		{"s3://backups/prefix/", "backups", "prefix/", true},
		{"https://backups/x", "", "", false},
		{"s3://Bad_Bucket/x", "", "", false},
		{"s3://backups/a/../b", "", "", false},
		{"s3://backups/a//b", "", "", false},
	} {
		u, err := ParseURL(tc.in)
		if (err == nil) != tc.ok || tc.ok && (u.Bucket != tc.bucket || u.Key != tc.key || u.String() != tc.in) {
			t.Errorf("ParseURL(%q) = %+v, %v", tc.in, u, err)
		}
	}
}

func TestURLArchivePrefix(t *testing.T) {
	for _, tc := range []struct {
		key, prefix string
		ok          bool
	}{
		{"a/b/shop/2026-05-04/shop-20260504T030201Z.sql.zst", "a/b", true},
		{"shop/2026-05-04/shop-20260504T030201Z.sql.zst", "", true},
		{"shop/2026-05-04/shop-20260504T030201Z.sql.zst.json", "", false},
		{"a/b/", "", false},
	} {
		prefix, ok := URL{Bucket: "b", Key: tc.key}.ArchivePrefix()
		if ok != tc.ok || ok && prefix != tc.prefix {
			t.Errorf("ArchivePrefix of %q = %q, %v", tc.key, prefix, ok)
		}
	}
}

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&apiError{Status: 503, Code: "SlowDown"}, true},
		{&apiError{Status: 500, Code: "InternalError"}, true},
		{&apiError{Status: 429, Code: "TooManyRequests"}, true},
		{&apiError{Status: 400, Code: "RequestTimeout"}, true},
		{&apiError{Status: 400, Code: "BadDigest"}, true},
		{&apiError{Status: 403, Code: "AccessDenied"}, false},
		{&apiError{Status: 403, Code: "SignatureDoesNotMatch"}, false},
		{&apiError{Status: 404, Code: "NoSuchBucket"}, false},
		{&apiError{Status: 400, Code: "InvalidArgument"}, false},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "dial", Err: errors.New("i/o timeout")}, true},
		{errStalled, true},
		{x509.UnknownAuthorityError{}, false},
		{permanent(fmt.Errorf("x: %w", syscall.ECONNRESET)), false},
		{errNotFound, false},
		{context.Canceled, false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

// TestMinioClosedConnectionIsTransient: minio-go replaces the io.EOF of a
// connection the server closed with a message of its own ("Connection closed by
// foreign host ... Retry again."), which must still be retried.
func TestMinioClosedConnectionIsTransient(t *testing.T) {
	minioErr := &url.Error{Op: "Put", URL: "http://127.0.0.1:1/b/k?partNumber=4",
		Err: errors.New("Connection closed by foreign host http://127.0.0.1:1/b/k?partNumber=4. Retry again.")}
	if err := withoutURL(apiErr(minioErr)); !transient(err) {
		t.Fatalf("transient(%v) = false; want true", err)
	}
}

func TestMultipartETag(t *testing.T) {
	parts := []uploadedPart{{ETag: `"b1946ac92492d2347c6235b4d2611184"`}, {ETag: "591785b794601e212b260e25925636fd"}}
	// md5(md5("hello\n") || md5("world\n")), as S3 computes it.
	if got := multipartETag(parts); got != "8e7f49323f5c66d08d276743b43ae446-2" {
		t.Fatalf("multipartETag = %s", got)
	}
	if got := multipartETag([]uploadedPart{{ETag: "not-md5"}}); got != "" {
		t.Fatalf("multipartETag of a non-MD5 ETag = %q", got)
	}
}
