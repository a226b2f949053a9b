package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/baktainer/baktainer/parse"
)

// Archives live at <root>/<name>/<YYYY-MM-DD>/<name>-<timestamp>.<ext>[.zst|.gz][.age],
// all in UTC, with two sidecars: <archive>.sha256 and <archive>.json.
const (
	timestampLayout = "20060102T150405Z"
	dayLayout       = "2006-01-02"
	// ChecksumExt and MetaExt name an archive's sidecars.
	ChecksumExt = ".sha256"
	MetaExt     = ".json"
	// tempPrefix starts every file that is not yet an archive or sidecar.
	tempPrefix = ".baktainer-tmp-"
	// ageExt ends every encrypted archive's name.
	ageExt = ".age"
)

// archivePath returns where an archive of name created at t goes.
func archivePath(root, name string, t time.Time, ext string) string {
	t = t.UTC()
	base := name + "-" + t.Format(timestampLayout) + ext
	return filepath.Join(root, name, t.Format(dayLayout), base)
}

// isSidecar reports whether a file name is an archive's sidecar.
func isSidecar(base string) bool {
	return strings.HasSuffix(base, ChecksumExt) || strings.HasSuffix(base, MetaExt)
}

// checkName accepts the backup names the baktainer.name label accepts (one rule,
// parse.BackupName, whose length cap keeps every file name derived from a name
// under 255 bytes): they become a directory and the start of file names.
func checkName(name string) error {
	if err := parse.BackupName(name); err != nil {
		return fmt.Errorf("store: invalid archive name %q: %w", name, err)
	}
	return nil
}

// checkExt accepts a dump extension such as "sql" or "rdb".
func checkExt(ext string) error {
	if ext == "" || len(ext) > 16 {
		return fmt.Errorf("store: invalid dump extension %q", ext)
	}
	for _, r := range ext {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("store: invalid dump extension %q: lower-case letters and digits only", ext)
		}
	}
	return nil
}

// compressionOf tells an archive's compression from its file name (after .age is
// stripped), as the stock tools' users would.
func compressionOf(name string) Compression {
	switch {
	case strings.HasSuffix(name, Zstd.Extension()):
		return Zstd
	case strings.HasSuffix(name, Gzip.Extension()):
		return Gzip
	}
	return None
}
