package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	files, leftovers, err := recordFiles(dataDir)
	if err != nil {
		return nil, err
	}
	for _, path := range leftovers {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove leftover %s: %w", path, err)
		}
	}
	out := make([]record, 0, len(files))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		r, err := readRecord(files[name], name)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// recordFiles lists the state directory without changing it: the record files
// by the volume name they are named after, and the temp files crashed writers left.
func recordFiles(dataDir string) (records map[string]string, leftovers []string, err error) {
	dir := filepath.Join(dataDir, stateDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read volume states: %w", err)
	}
	records = map[string]string{}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(name, stateTempPrefix):
			leftovers = append(leftovers, path)
		case e.Type().IsRegular() && strings.HasSuffix(name, ".json"):
			records[strings.TrimSuffix(name, ".json")] = path
		}
	}
	return records, leftovers, nil
}

// maxRecordSize caps the read of a record: a few hundred bytes, plus 65 per live mount.
const maxRecordSize = 1 << 20

func readRecord(path, name string) (record, error) {
	f, err := os.Open(path)
	if err != nil {
		return record{}, fmt.Errorf("read volume state: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err != nil {
		return record{}, fmt.Errorf("read volume state: %w", err)
	}
	if len(data) > maxRecordSize {
		return record{}, fmt.Errorf("volume state %s: larger than %d bytes", path, maxRecordSize)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("volume state %s: %w", path, err)
	}
	if r.Version != stateVersion {
		return record{}, fmt.Errorf("volume state %s: version %d, this baktainer reads version %d", path, r.Version, stateVersion)
	}
	if r.Name != name {
		return record{}, fmt.Errorf("volume state %s: names volume %q", path, r.Name)
	}
	return r, nil
}
