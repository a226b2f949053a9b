package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/baktainer/baktainer/atomicfile"
	"github.com/baktainer/baktainer/docker"
)

// stoppedFile, in the state directory, lists the containers a stop group's dump
// stopped and has not started again: written before each stop, struck after
// each start, read at the agent's start (restartStopped).
const stoppedFile = "stopped-containers.json"

// maxStoppedFile caps what is read of it: the agent's own file, but a file.
const maxStoppedFile = 1 << 20

// stoppedRecord is one container stopped for a dump.
type stoppedRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Group   string    `json:"group"`
	Stopped time.Time `json:"stopped"`
}

// readStopped returns the records of the stopped-containers file; none when it
// does not exist.
func (a *Agent) readStopped() ([]stoppedRecord, error) {
	f, err := os.Open(filepath.Join(a.cfg.StateDir, stoppedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the containers stopped for dumps: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStoppedFile+1))
	if err == nil && len(b) > maxStoppedFile {
		err = fmt.Errorf("larger than %d bytes", maxStoppedFile)
	}
	var recs []stoppedRecord
	if err == nil {
		err = json.Unmarshal(b, &recs)
	}
	if err != nil {
		return nil, fmt.Errorf("read the containers stopped for dumps (%s): %w", f.Name(), err)
	}
	return recs, nil
}

// updateStopped rewrites the file with change applied, atomically and synced.
func (a *Agent) updateStopped(change func([]stoppedRecord) []stoppedRecord) error {
	a.ctl.stateMu.Lock()
	defer a.ctl.stateMu.Unlock()
	recs, err := a.readStopped()
	if err != nil {
		return err
	}
	recs = change(recs)
	path := filepath.Join(a.cfg.StateDir, stoppedFile)
	if len(recs) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear the containers stopped for dumps: %w", err)
		}
		return nil
	}
	err = atomicfile.Write(path, stoppedFile+".tmp-", 0o640, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(recs)
	})
	if err != nil {
		return fmt.Errorf("record the containers stopped for dumps: %w", err)
	}
	return nil
}

// recordStopped notes c, about to be stopped for group's dump.
func (a *Agent) recordStopped(c docker.Container, group string) error {
	return a.updateStopped(func(recs []stoppedRecord) []stoppedRecord {
		recs = slices.DeleteFunc(recs, func(r stoppedRecord) bool { return r.ID == c.ID })
		return append(recs, stoppedRecord{ID: c.ID, Name: c.Name, Group: group, Stopped: time.Now().UTC()})
	})
}

// forgetStopped strikes the container id, started again.
func (a *Agent) forgetStopped(id string) error {
	return a.updateStopped(func(recs []stoppedRecord) []stoppedRecord {
		return slices.DeleteFunc(recs, func(r stoppedRecord) bool { return r.ID == id })
	})
}
