package offsite

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/baktainer/baktainer/store"
)

// A copy's keys mirror the local layout: PREFIX/<name>/<YYYY-MM-DD>/<file>, with
// <file>.json and <file>.sha256 beside it, so a stock S3 client and sha256sum -c
// open it as they would the local archive.
const dayLayout = "2006-01-02"

// archiveFile matches the archive names the store writes:
// <name>-<YYYYMMDDTHHMMSSZ>[-N].<ext>[.zst|.gz][.age]. Only keys whose file
// matches it are ever listed as copies or deleted.
var archiveFile = regexp.MustCompile(`^([A-Za-z0-9_-][A-Za-z0-9._-]{0,199})-(\d{8}T\d{6}Z)(-\d{1,3})?\.[a-z0-9]{1,16}(\.zst|\.gz)?(\.age)?$`)

// archiveKey returns the key of an archive of name created at created, named file.
func archiveKey(prefix, name string, created time.Time, file string) string {
	return joinKey(prefix, name, created.UTC().Format(dayLayout), file)
}

// namePrefix returns the key prefix under which name's copies live ("" for
// every name), ending in '/' unless it is the bucket's root.
func namePrefix(prefix, name string) string {
	return joinKey(prefix, name, "")
}

func joinKey(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	key := strings.Join(kept, "/")
	if parts[len(parts)-1] == "" && key != "" {
		key += "/"
	}
	return key
}

// keyParts splits a key under prefix into name, day and file, reporting whether
// it has the layout's shape: three segments, a valid day, a file that is an
// archive of that name or one of its sidecars.
type keyParts struct {
	name, day, file string
	sidecar         string // store.ChecksumExt, store.MetaExt or ""
}

// archive returns the file name of the archive the key belongs to.
func (k keyParts) archive() string { return strings.TrimSuffix(k.file, k.sidecar) }

func parseKey(prefix, key string) (keyParts, bool) {
	rel := key
	if prefix != "" {
		var ok bool
		if rel, ok = strings.CutPrefix(key, prefix+"/"); !ok {
			return keyParts{}, false
		}
	}
	segs := strings.Split(rel, "/")
	if len(segs) != 3 {
		return keyParts{}, false
	}
	k := keyParts{name: segs[0], day: segs[1], file: segs[2]}
	for _, ext := range []string{store.ChecksumExt, store.MetaExt} {
		if strings.HasSuffix(k.file, ext) {
			k.sidecar = ext
		}
	}
	m := archiveFile.FindStringSubmatch(k.archive())
	if m == nil || m[1] != k.name {
		return keyParts{}, false
	}
	stamp, err := time.Parse("20060102T150405Z", m[2])
	if err != nil || stamp.Format(dayLayout) != k.day {
		return keyParts{}, false
	}
	return k, true
}

// URL is an s3://BUCKET/KEY address, as the CLI takes it.
type URL struct {
	Bucket string
	Key    string // an archive's key, or a prefix; may be empty
}

// ParseURL parses s3://BUCKET[/KEY].
func ParseURL(s string) (URL, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URL{}, fmt.Errorf("offsite: %q is not an s3://BUCKET/KEY address", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return URL{}, fmt.Errorf("offsite: %q: bad bucket name %q", s, bucket)
	}
	if key != "" && (path.Clean("/"+key) != "/"+strings.TrimSuffix(key, "/") || strings.Contains(key, "//")) {
		return URL{}, fmt.Errorf("offsite: %q: the key must not contain '.', '..' or empty segments", s)
	}
	return URL{Bucket: bucket, Key: key}, nil
}

// ArchivePrefix returns the prefix under which u's key, an archive's key
// (PREFIX/<name>/<date>/<file>), lies: what Settings.Prefix must be for a
// Remote to Open it. ok is false when the key is not an archive's.
func (u URL) ArchivePrefix() (prefix string, ok bool) {
	segs := strings.Split(u.Key, "/")
	if len(segs) < 3 {
		return "", false
	}
	prefix = strings.Join(segs[:len(segs)-3], "/")
	k, ok := parseKey(prefix, u.Key)
	return prefix, ok && k.sidecar == ""
}

// String returns the address as s3://BUCKET/KEY.
func (u URL) String() string {
	if u.Key == "" {
		return "s3://" + u.Bucket
	}
	return "s3://" + u.Bucket + "/" + u.Key
}

// validName accepts the backup names store accepts (the baktainer.name label's).
func validName(name string) bool {
	return nameRE.MatchString(name)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$`)
