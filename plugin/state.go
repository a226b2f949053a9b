package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baktainer/baktainer/atomicfile"
)

// On the data mount (the plugin's `data` bind mount, /var/lib/baktainer on the
// host by default) a backup volume is two things:
//
//	volumes/<name>/        its content: the archives, as <name>/<date>/<archive>
//	state/<name>.json      its record: options, creation time, live mount IDs
//
// The record lives outside the volume so that containers mounting the volume
// can neither see nor change it. Both survive plugin disable/enable, daemon
// restarts, upgrades and `docker plugin rm`, which only delete the plugin's own
// directory and propagated mount.
const (
	volumesDir   = "volumes"
	stateDir     = "state"
	stateVersion = 1
	// stateTempPrefix starts a record being written; leftovers are removed at start.
	stateTempPrefix = ".tmp-"
)

// record is the JSON form of a volume's state file. Options are kept as given
// and parsed again on load, so there is one parser and old records stay readable.
type record struct {
	Version int               `json:"version"`
	Name    string            `json:"name"`
	Created time.Time         `json:"created"`
	Options map[string]string `json:"options,omitempty"`
	// Mounts are the mount IDs the engine has mounted the volume for and not yet
	// unmounted: they survive a plugin restart, so that the engine's later
	// Unmount calls (containers stopping) are understood.
	Mounts []string `json:"mounts,omitempty"`
}

func statePath(dataDir, name string) string {
	return filepath.Join(dataDir, stateDir, name+".json")
}

// saveRecord writes r durably (atomicfile): a crash leaves the old record or the new.
func saveRecord(dataDir string, r record) error {
	r.Version = stateVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(statePath(dataDir, r.Name), stateTempPrefix+r.Name+"-", append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save state of volume %s: %w", r.Name, err)
	}
	return nil
}

// deleteRecord removes a volume's record durably.
func deleteRecord(dataDir, name string) error {
	if err := os.Remove(statePath(dataDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state of volume %s: %w", name, err)
	}
	return atomicfile.SyncDir(filepath.Join(dataDir, stateDir))
}

// loadRecords reads every record, removing temp files crashed writers left. A
// record that cannot be read fails the whole load: the driver refuses to start
// rather than silently forget a volume.
func loadRecords(dataDir string) ([]record, error) {
	dir := filepath.Join(dataDir, stateDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read volume states: %w", err)
	}
	var out []record
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, stateTempPrefix):
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("remove leftover %s: %w", path, err)
			}
		case e.Type().IsRegular() && strings.HasSuffix(name, ".json"):
			r, err := readRecord(path)
			if err != nil {
				return nil, err
			}
			if r.Name != strings.TrimSuffix(name, ".json") {
				return nil, fmt.Errorf("volume state %s: names volume %q", path, r.Name)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func readRecord(path string) (record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return record{}, fmt.Errorf("read volume state: %w", err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("volume state %s: %w", path, err)
	}
	if r.Version != stateVersion {
		return record{}, fmt.Errorf("volume state %s: version %d, this baktainer reads version %d", path, r.Version, stateVersion)
	}
	return r, nil
}
