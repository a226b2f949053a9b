package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// HostDataDir is where the plugin's data mount comes from on the host unless
// `docker plugin install ... data.source=` says otherwise (config.json).
const HostDataDir = "/var/lib/baktainer"

// VolumeDir is the directory of volume name's archives on a data mount.
func VolumeDir(dataDir, name string) string { return filepath.Join(dataDir, volumesDir, name) }

// ReadVolumeOptions reads volume name's options from its record on the data
// mount dataDir, without the plugin: for the CLI run where the data mount is
// (the host, or inside the plugin). The record must be a regular file.
func ReadVolumeOptions(dataDir, name string) (Options, error) {
	if err := CheckName(name); err != nil {
		return Options{}, fmt.Errorf("volume %s: %w", name, err)
	}
	path := statePath(dataDir, name)
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Options{}, fmt.Errorf("no backup volume %s on the data mount %s (no %s)", name, dataDir, path)
	case err != nil:
		return Options{}, fmt.Errorf("volume %s: %w", name, err)
	case !fi.Mode().IsRegular():
		return Options{}, fmt.Errorf("volume %s: its record %s is not a regular file", name, path)
	}
	r, err := readRecord(path, name)
	if err != nil {
		return Options{}, err
	}
	opts, err := ParseOptions(r.Options)
	if err != nil {
		return Options{}, fmt.Errorf("volume %s: %w", name, err)
	}
	return opts, nil
}

// VolumeAt says whether dir is a backup volume's directory on a data mount
// (<data>/volumes/<name> with the record <data>/state/<name>.json), and if so
// returns the data mount and the volume's name.
func VolumeAt(dir string) (dataDir, name string, ok bool) {
	dir = filepath.Clean(dir)
	parent, name := filepath.Split(dir)
	parent = filepath.Clean(parent)
	if filepath.Base(parent) != volumesDir || CheckName(name) != nil {
		return "", "", false
	}
	dataDir = filepath.Dir(parent)
	fi, err := os.Lstat(statePath(dataDir, name))
	if err != nil || !fi.Mode().IsRegular() {
		return "", "", false
	}
	return dataDir, name, true
}
