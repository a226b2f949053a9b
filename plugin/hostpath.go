package plugin

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// hostPath is the path on the host of path, a path under the data mount
// dataDir: the data mount's source (its root in its file system, from
// mountinfo: the host's path when that file system is the host's /, as with
// the default /var/lib/baktainer) joined with the rest. "" when dataDir is not
// a mount point or mountinfo is unreadable: then nobody is told a wrong path.
func hostPath(dataDir, path string) string {
	rel, err := filepath.Rel(dataDir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	source := mountRootIn(bufio.NewScanner(f), dataDir)
	if source == "" {
		return ""
	}
	return filepath.Join(source, rel)
}

// mountRootIn is the root (4th field) of the last mount at target in mountinfo.
func mountRootIn(sc *bufio.Scanner, target string) string {
	found := ""
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && unescapeMountinfo(fields[4]) == target {
			found = unescapeMountinfo(fields[3])
		}
	}
	return found
}
