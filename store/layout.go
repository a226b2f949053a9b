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

// sidecarOf returns the archive a sidecar's name belongs to.
func sidecarOf(base string) (archive string, ok bool) {
	for _, ext := range []string{ChecksumExt, MetaExt} {
		if a, found := strings.CutSuffix(base, ext); found {
			return a, true
		}
	}
	return "", false
}

// isDay reports whether a directory name is a date directory of the layout.
func isDay(name string) bool {
	t, err := time.Parse(dayLayout, name)
	return err == nil && t.Format(dayLayout) == name
}

// archiveTime recognises the base name of an archive of name: name, "-", the UTC
// timestamp, an optional "-N" (two archives in one second), "." and the dump's
// extension, then the compression's and age's extensions if any. It returns the
// time the name holds.
func archiveTime(name, base string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(base, name+"-")
	if !ok || len(rest) < len(timestampLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(timestampLayout, rest[:len(timestampLayout)])
	if err != nil || t.Format(timestampLayout) != rest[:len(timestampLayout)] {
		return time.Time{}, false
	}
	rest = rest[len(timestampLayout):]
	if after, ok := strings.CutPrefix(rest, "-"); ok {
		digits := len(after) - len(strings.TrimLeft(after, "0123456789"))
		if digits == 0 || digits > 3 || after[0] == '0' {
			return time.Time{}, false
		}
		rest = after[digits:]
	}
	rest, _ = strings.CutSuffix(rest, ageExt)
	if isDumpExt(rest) {
		return t, true
	}
	for _, c := range []Compression{Zstd, Gzip} {
		if r, ok := strings.CutSuffix(rest, c.Extension()); ok && isDumpExt(r) {
			return t, true
		}
	}
	return time.Time{}, false
}

// commitIndex is N of an archive committed as the Nth after another in the same
// second ("<name>-<timestamp>-N.<ext>"), 0 for the first: Commit numbers them in
// the order it commits them, so within one second a higher N is newer.
func commitIndex(a Archive) int {
	rest, ok := strings.CutPrefix(filepath.Base(a.Path), a.Meta.Name+"-")
	if !ok || len(rest) <= len(timestampLayout) || rest[len(timestampLayout)] != '-' {
		return 0
	}
	n := 0
	for _, r := range rest[len(timestampLayout)+1:] {
		if r < '0' || r > '9' || n > 1000 {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// newer reports whether archive a was committed after b: by the time it records,
// then, within one second, by Commit's numbering, then (archives that are not
// ours to order) by path, so an order never depends on the input's.
func newer(a, b Archive) bool {
	if !a.Meta.Created.Equal(b.Meta.Created) {
		return a.Meta.Created.After(b.Meta.Created)
	}
	if ia, ib := commitIndex(a), commitIndex(b); ia != ib {
		return ia > ib
	}
	return a.Path > b.Path
}

// isDumpExt reports whether s is "." and a dump extension.
func isDumpExt(s string) bool {
	ext, ok := strings.CutPrefix(s, ".")
	return ok && checkExt(ext) == nil
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
	if ext == "" || len(ext) > 16 || "."+ext == ChecksumExt || "."+ext == MetaExt {
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

// untrusted says why a plan may not count an archive, or "" when it may.
func untrusted(a Archive, now time.Time) string {
	path := a.Path
	day, nameDir := filepath.Dir(path), filepath.Dir(filepath.Dir(path))
	t, ok := archiveTime(a.Meta.Name, filepath.Base(path))
	switch {
	case filepath.Clean(path) != path || strings.HasPrefix(path, ".."):
		return "its path is not clean"
	case checkName(a.Meta.Name) != nil || filepath.Base(nameDir) != a.Meta.Name:
		return "not in the directory of its name"
	case !ok || filepath.Base(day) != t.Format(dayLayout):
		return "its file name is not one baktainer gives, or is in the wrong date directory"
	case !t.Equal(a.Meta.Created):
		return "its file name and its metadata disagree about its time"
	case t.After(now.Add(maxFutureSkew)):
		return "dated in the future"
	}
	return ""
}
