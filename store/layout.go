package store

import (
	"path/filepath"
	"strings"
	"time"
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
