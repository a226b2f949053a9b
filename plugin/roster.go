package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/baktainer/baktainer/atomicfile"
)

// The roster is the list of the volumes' names, kept on the propagated mount
// beside the seen marker (datamount.go). It is for one case only: a plugin that
// comes up on another data mount than its own (after `docker plugin upgrade`,
// quirk 6) must still answer the engine for the volumes it holds, or the engine
// forgets them and makes local volumes of their names (refuse.go); the records
// it would read them from are on the data mount it does not have.
const (
	rosterFile    = ".baktainer-volumes.json" // no volume name starts with '.'
	rosterVersion = 1
	maxRosterSize = 16 << 20 // far above any real roster: 255-byte names, tens of thousands
	// rosterTempPrefix starts a roster being written; leftovers are removed at start.
	rosterTempPrefix = stateTempPrefix + "roster-"
)

type roster struct {
	Version int      `json:"version"`
	Volumes []string `json:"volumes"`
}

// saveRoster replaces the roster with names, durably (atomicfile).
func saveRoster(mountDir string, names []string) error {
	data, err := json.Marshal(roster{Version: rosterVersion, Volumes: slices.Sorted(slices.Values(names))})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(mountDir, rosterFile), rosterTempPrefix, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("plugin: the roster of volumes: %w", err)
	}
	return nil
}

// readRoster reads the roster; none (a plugin that never ran healthy) is empty.
func readRoster(mountDir string) ([]string, error) {
	path := filepath.Join(mountDir, rosterFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRosterSize+1))
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	var r roster
	if len(data) > maxRosterSize {
		return nil, fmt.Errorf("plugin: %s: larger than %d bytes", path, maxRosterSize)
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Version != rosterVersion {
		return nil, fmt.Errorf("plugin: %s is damaged or of another version (%v)", path, err)
	}
	return r.Volumes, nil
}

// removeRosterLeftovers removes what a crash inside saveRoster left.
func removeRosterLeftovers(mountDir string) {
	leftovers, _ := filepath.Glob(filepath.Join(mountDir, rosterTempPrefix+"*"))
	for _, p := range leftovers {
		_ = os.Remove(p)
	}
}
