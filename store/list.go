package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Archive is a committed archive found on disk.
type Archive struct {
	Path string
	Meta Meta
}

// List returns every committed archive under root (all names), oldest first. An
// archive counts only with both sidecars present and readable metadata; temp files
// and orphan sidecars are never listed.
func List(root string) ([]Archive, error) {
	var out []Archive
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll
			}
			return err
		}
		base := d.Name()
		if d.IsDir() || strings.HasPrefix(base, ".") || isSidecar(base) {
			return nil
		}
		if _, err := os.Stat(path + ChecksumExt); err != nil {
			return nil
		}
		f, err := os.Open(path + MetaExt)
		if err != nil {
			return nil
		}
		meta, err := ReadMeta(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("store: %s: %w", path+MetaExt, err)
		}
		out = append(out, Archive{Path: path, Meta: meta})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", root, err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Meta.Created.Equal(out[j].Meta.Created) {
			return out[i].Meta.Created.Before(out[j].Meta.Created)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// Cleanup removes what crashed writers left under root: temp files no live process
// holds (their writers lock them), and sidecars whose archive never got its final
// name. Sidecars are only removed from directories where no writer is at work. It
// returns the paths removed.
func Cleanup(root string) ([]string, error) {
	var removed []string
	busyDirs := map[string]bool{}
	var sidecars []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll
			}
			return err
		}
		base := d.Name()
		switch {
		case d.IsDir():
		case strings.HasPrefix(base, tempPrefix):
			gone, err := removeIfUnlocked(path)
			if err != nil {
				return err
			}
			if !gone {
				busyDirs[filepath.Dir(path)] = true
				return nil
			}
			removed = append(removed, path)
		case isSidecar(base):
			sidecars = append(sidecars, path)
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("store: clean up %s: %w", root, err)
	}
	lookedAgain := map[string]bool{}
	for _, sc := range sidecars {
		archive := strings.TrimSuffix(strings.TrimSuffix(sc, ChecksumExt), MetaExt)
		dir := filepath.Dir(sc)
		// Look again: a writer may have started in the directory since the walk saw it.
		if !lookedAgain[dir] {
			lookedAgain[dir] = true
			busyDirs[dir] = busyDirs[dir] || hasLiveWriter(dir)
		}
		if busyDirs[dir] {
			continue
		}
		if _, err := os.Stat(archive); errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(sc); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, fmt.Errorf("store: remove orphan sidecar: %w", err)
			}
			removed = append(removed, sc)
		}
	}
	return removed, nil
}

// hasLiveWriter reports whether a locked temp file is in dir: a writer at work,
// whose sidecars may already be in place while its archive is not yet renamed.
func hasLiveWriter(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) && isLocked(filepath.Join(dir, e.Name())) {
			return true
		}
	}
	return false
}
