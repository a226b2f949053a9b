package agent

import (
	"path/filepath"
	"strings"
)

// where says where the archive at path, written under d.Root, is found: by a
// container that mounts d's backup volume ("<volume>:<path in the volume>"),
// else by its path; and its path on the host when d knows it (HostRoot). The
// plugin's own paths (/data/volumes/...) mean nothing outside the plugin.
func (d Destination) where(path string) (location, hostPath string) {
	rel, err := filepath.Rel(d.Root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return path, ""
	}
	location = path
	if d.Volume != "" {
		location = d.Volume + ":" + rel
	}
	if d.HostRoot != "" {
		hostPath = filepath.Join(d.HostRoot, rel)
	}
	return location, hostPath
}
