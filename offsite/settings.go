package offsite

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// The variables the settings come from. The integrator's config table reads them
// (each secret one also as a _FILE variant); Validate's errors name them.
const (
	EnvEndpoint     = "BT_S3_ENDPOINT"
	EnvBucket       = "BT_S3_BUCKET"
	EnvPrefix       = "BT_S3_PREFIX"
	EnvRegion       = "BT_S3_REGION"
	EnvAccessKey    = "BT_S3_ACCESS_KEY"
	EnvSecretKey    = "BT_S3_SECRET_KEY"
	EnvInsecure     = "BT_S3_INSECURE"
	EnvCAFile       = "BT_S3_CA_FILE"
	EnvStorageClass = "BT_S3_STORAGE_CLASS"
)

// Settings say where off-host copies go and how to reach that place. The zero
// value is "off-host copies off" (see Enabled).
type Settings struct {
	// Endpoint is the S3 server's host[:port], without a scheme: TLS is the default.
	Endpoint string
	// Bucket must exist already: baktainer never creates one.
	Bucket string
	// Prefix is prepended to every key (PREFIX/<name>/<date>/<file>); empty for
	// the bucket's root. Slashes at either end are ignored.
	Prefix string
	// Region is asked of the server when empty.
	Region string
	// AccessKey and SecretKey are the credentials. Neither ever appears in an
	// error, a log line or String.
	AccessKey, SecretKey string
	// Insecure speaks plain HTTP: only for a test server on a trusted network.
	Insecure bool
	// CAFile is a PEM file of certificates trusted besides the system's, for a
	// server whose certificate a private CA signed.
	CAFile string
	// StorageClass is sent with every object (e.g. STANDARD_IA); empty for the
	// bucket's default.
	StorageClass string
}

// Enabled reports whether off-host copies are configured at all.
func (s Settings) Enabled() bool { return s.Endpoint != "" || s.Bucket != "" }

// Validate checks every setting and returns all problems at once, each naming its
// variable. It reads no file and opens no connection (New does).
func (s Settings) Validate() error {
	errs := []error{checkEndpoint(s.Endpoint), checkBucket(s.Bucket), checkPrefix(s.Prefix)}
	if s.AccessKey == "" {
		errs = append(errs, fmt.Errorf("%s is missing: off-host copies need credentials", EnvAccessKey))
	}
	if s.SecretKey == "" {
		errs = append(errs, fmt.Errorf("%s is missing: off-host copies need credentials", EnvSecretKey))
	}
	if s.Region != "" && !isToken(s.Region, "-_") {
		errs = append(errs, fmt.Errorf("%s=%q: letters, digits, '-' and '_' only (e.g. eu-central-1)", EnvRegion, s.Region))
	}
	if s.StorageClass != "" && !isToken(s.StorageClass, "_") {
		errs = append(errs, fmt.Errorf("%s=%q: letters, digits and '_' only (e.g. STANDARD_IA)", EnvStorageClass, s.StorageClass))
	}
	if s.Insecure && s.CAFile != "" {
		errs = append(errs, fmt.Errorf("%s and %s contradict each other: a CA is only used with TLS", EnvInsecure, EnvCAFile))
	}
	return errors.Join(errs...)
}

// String describes the settings for logs and status pages, without credentials.
func (s Settings) String() string {
	scheme := "https"
	if s.Insecure {
		scheme = "http"
	}
	out := fmt.Sprintf("%s://%s/%s", scheme, s.Endpoint, s.Bucket)
	if p := s.cleanPrefix(); p != "" {
		out += "/" + p
	}
	return out
}

// GoString keeps %#v from printing the credentials.
func (s Settings) GoString() string { return "offsite.Settings(" + s.String() + ")" }

// cleanPrefix is the prefix without slashes at either end.
func (s Settings) cleanPrefix() string { return strings.Trim(s.Prefix, "/") }

func checkEndpoint(endpoint string) error {
	switch {
	case endpoint == "":
		return fmt.Errorf("%s is missing: the S3 server's host[:port]", EnvEndpoint)
	case strings.Contains(endpoint, "://"):
		return fmt.Errorf("%s=%q: give host[:port] without a scheme (TLS is the default; %s=true for plain HTTP)", EnvEndpoint, endpoint, EnvInsecure)
	case strings.ContainsAny(endpoint, "/?#@ "):
		return fmt.Errorf("%s=%q: give host[:port] only, no path, user or query", EnvEndpoint, endpoint)
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		host, port = endpoint, "" // no port
		if strings.Count(endpoint, ":") > 0 && !strings.HasPrefix(endpoint, "[") {
			return fmt.Errorf("%s=%q: not host[:port] (write an IPv6 address as [addr]:port)", EnvEndpoint, endpoint)
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s=%q: the port must be 1 to 65535", EnvEndpoint, endpoint)
		}
	}
	host = strings.Trim(host, "[]")
	if !s3utils.IsValidDomain(host) && !s3utils.IsValidIP(host) {
		return fmt.Errorf("%s=%q: %q is neither a host name nor an IP address", EnvEndpoint, endpoint, host)
	}
	return nil
}

func checkBucket(bucket string) error {
	if bucket == "" {
		return fmt.Errorf("%s is missing: the bucket off-host copies go to (it must exist)", EnvBucket)
	}
	if err := CheckBucketName(bucket); err != nil {
		return fmt.Errorf("%s=%q: %v", EnvBucket, bucket, err)
	}
	return nil
}

// CheckBucketName reports whether bucket is a valid S3 bucket name (a volume's
// s3.bucket option is checked with it); the error does not repeat the name.
func CheckBucketName(bucket string) error { return s3utils.CheckValidBucketNameStrict(bucket) }

func checkPrefix(prefix string) error {
	if err := CheckPrefix(prefix); err != nil {
		if strings.HasPrefix(err.Error(), "longer") {
			return fmt.Errorf("%s: %v", EnvPrefix, err)
		}
		return fmt.Errorf("%s=%q: %v", EnvPrefix, prefix, err)
	}
	return nil
}

// CheckPrefix accepts slash-separated segments of the characters archive names
// use, so every key baktainer writes stays plain and copy-pasteable (a volume's
// s3.prefix option is checked with it); the error does not repeat the prefix.
func CheckPrefix(prefix string) error {
	p := strings.Trim(prefix, "/")
	if p == "" {
		return nil
	}
	if len(p) > 512 {
		return errors.New("longer than 512 characters")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || !isToken(seg, "._-") {
			return errors.New("segments of letters, digits, '.', '_' and '-' separated by single '/', no '.' or '..' segment")
		}
	}
	return nil
}

// WithPlace returns s with bucket and prefix replaced where they are not empty:
// a backup volume's own place for its copies (s3.bucket, s3.prefix), with the
// plugin's endpoint and credentials.
func (s Settings) WithPlace(bucket, prefix string) Settings {
	if bucket != "" {
		s.Bucket = bucket
	}
	if prefix != "" {
		s.Prefix = prefix
	}
	return s
}

// isToken reports whether s is made of ASCII letters, digits and the extra runes.
func isToken(s, extra string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return s != ""
}
