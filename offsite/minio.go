package offsite

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baktainer/baktainer/store"
)

// minioStore is the objectStore of a real S3 server, through minio-go's Core API
// (one request per call; minio-go's own retries are off, retry.go decides).
type minioStore struct {
	core         minio.Core
	bucket       string
	storageClass string
}

var _ objectStore = (*minioStore)(nil)

// maxCAFileSize bounds the CA file read: a bundle of every public CA is ~250 KiB.
const maxCAFileSize = 4 << 20

// newMinioStore connects (lazily: no request is made) to the server of s.
func newMinioStore(s Settings) (*minioStore, error) {
	transport, err := newTransport(s)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(s.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:     !s.Insecure,
		Transport:  transport,
		Region:     s.Region,
		MaxRetries: 1,
		// Path-style requests work with every S3-compatible server and need no
		// wildcard DNS or certificate for BUCKET.host.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("offsite: %s: %w", EnvEndpoint, err)
	}
	return &minioStore{core: minio.Core{Client: client}, bucket: s.Bucket, storageClass: s.StorageClass}, nil
}

// newTransport is an HTTP transport with timeouts on every step that can hang
// without sending data, and the private CA of s when set.
func newTransport(s Settings) (*http.Transport, error) {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute, // the server hashes a part before answering
		ExpectContinueTimeout: time.Second,
		// The archives are compressed already; a gzip layer would only cost CPU.
		DisableCompression: true,
	}
	if s.Insecure {
		return t, nil
	}
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CAFile == "" {
		return t, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := store.ReadSmallFile(s.CAFile, maxCAFileSize) // like every file a setting names: links followed (mounted secrets)
	if err != nil {
		return nil, fmt.Errorf("offsite: %s: %w", EnvCAFile, err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("offsite: %s=%s: no PEM certificate in it", EnvCAFile, s.CAFile)
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}

func (m *minioStore) put(ctx context.Context, key string, body io.Reader, size int64, sum []byte) error {
	opts := minio.PutObjectOptions{
		StorageClass: m.storageClass,
		// The SHA-256 goes twice: as x-amz-content-sha256, which the signature
		// covers and the server checks before storing anything, and as
		// x-amz-checksum-sha256, which it records for HEAD and GET.
		UserMetadata:         map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum)},
		DisableContentSha256: true, // no aws-chunked streaming signature: the hash is known
		DisableMultipart:     true,
	}
	_, err := m.core.PutObject(ctx, m.bucket, key, body, size, "", hex.EncodeToString(sum), opts)
	return apiErr(err)
}

func (m *minioStore) createUpload(ctx context.Context, key string) (string, error) {
	id, err := m.core.NewMultipartUpload(ctx, m.bucket, key, minio.PutObjectOptions{
		StorageClass: m.storageClass,
		UserMetadata: map[string]string{"x-amz-checksum-algorithm": "SHA256"},
	})
	return id, apiErr(err)
}

func (m *minioStore) putPart(ctx context.Context, key, uploadID string, number int, body io.Reader, size int64, sum []byte) (string, error) {
	header := http.Header{}
	header.Set("x-amz-checksum-sha256", base64.StdEncoding.EncodeToString(sum))
	part, err := m.core.PutObjectPart(ctx, m.bucket, key, uploadID, number, body, size, minio.PutObjectPartOptions{
		Sha256Hex:            hex.EncodeToString(sum),
		CustomHeader:         header,
		DisableContentSha256: true,
	})
	return part.ETag, apiErr(err)
}

func (m *minioStore) completeUpload(ctx context.Context, key, uploadID string, parts []uploadedPart) error {
	complete := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = minio.CompletePart{PartNumber: p.Number, ETag: p.ETag, ChecksumSHA256: base64.StdEncoding.EncodeToString(p.SHA256)}
	}
	_, err := m.core.CompleteMultipartUpload(ctx, m.bucket, key, uploadID, complete, minio.PutObjectOptions{})
	return apiErr(err)
}

func (m *minioStore) abortUpload(ctx context.Context, key, uploadID string) error {
	return apiErr(m.core.AbortMultipartUpload(ctx, m.bucket, key, uploadID))
}

func (m *minioStore) uploads(ctx context.Context, prefix string) ([]pendingUpload, error) {
	var out []pendingUpload
	keyMarker, idMarker := "", ""
	for {
		res, err := m.core.ListMultipartUploads(ctx, m.bucket, prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, apiErr(err)
		}
		for _, u := range res.Uploads {
			out = append(out, pendingUpload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
		}
		if !res.IsTruncated || len(out) > maxListed {
			return out, nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

func (m *minioStore) stat(ctx context.Context, key string) (objectInfo, error) {
	info, err := m.core.StatObject(ctx, m.bucket, key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return objectInfo{}, apiErr(err)
	}
	return toObjectInfo(info), nil
}

func (m *minioStore) get(ctx context.Context, key string, offset int64, etag string) (io.ReadCloser, objectInfo, error) {
	var opts minio.GetObjectOptions
	if offset > 0 {
		if err := opts.SetRange(offset, 0); err != nil {
			return nil, objectInfo{}, err
		}
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, objectInfo{}, err
		}
	}
	body, info, _, err := m.core.GetObject(ctx, m.bucket, key, opts)
	if err != nil {
		return nil, objectInfo{}, apiErr(err)
	}
	return body, toObjectInfo(info), nil
}

func (m *minioStore) list(ctx context.Context, prefix string, limit int) ([]objectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when we return early
	var out []objectInfo
	for info := range m.core.Client.ListObjects(ctx, m.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if info.Err != nil {
			return nil, apiErr(info.Err)
		}
		if len(out) >= limit {
			return nil, fmt.Errorf("%w: more than %d under %q", errTooMany, limit, prefix)
		}
		out = append(out, toObjectInfo(info))
	}
	return out, ctx.Err()
}

func (m *minioStore) remove(ctx context.Context, key string) error {
	return apiErr(m.core.RemoveObject(ctx, m.bucket, key, minio.RemoveObjectOptions{}))
}

func toObjectInfo(info minio.ObjectInfo) objectInfo {
	out := objectInfo{Key: info.Key, Size: info.Size, ETag: info.ETag, Modified: info.LastModified}
	if sum, err := base64.StdEncoding.DecodeString(info.ChecksumSHA256); err == nil && len(sum) == 32 {
		out.SHA256 = sum
	}
	return out
}

// apiErr turns minio-go's error answers into *apiError (errNotFound for a
// missing object), keeping transport errors as they are for classify.
func apiErr(err error) error {
	if err == nil {
		return nil
	}
	// minio-go replaces the io.EOF of a connection the server closed with a
	// message of its own; give the EOF back so classify sees it.
	var u *url.Error
	if errors.As(err, &u) && u.Err != nil && strings.HasPrefix(u.Err.Error(), "Connection closed by foreign host") {
		return &url.Error{Op: u.Op, URL: u.URL, Err: fmt.Errorf("the server closed the connection: %w", io.ErrUnexpectedEOF)}
	}
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || resp.StatusCode == 0 && resp.Code == "" {
		return err
	}
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code == "" {
		return fmt.Errorf("%w (%s)", errNotFound, resp.Code)
	}
	return &apiError{Status: resp.StatusCode, Code: resp.Code, Message: resp.Message}
}
