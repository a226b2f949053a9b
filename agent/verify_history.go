package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/atomicfile"
)

// testRestoreHistory is the persisted record of test-restores: an append-only
// JSON Lines file in the state directory beside the backups' history (whose lock
// guards both), one "started" and one "finished" record each, synced. A
// test-restore that started and never finished was interrupted (the agent was
// killed; its scratch container is swept at the start): it is recorded cancelled.
type testRestoreHistory struct {
	mu      sync.Mutex
	path    string
	file    *os.File
	keep    int
	byName  map[string][]TestRestore // finished, oldest first, at most keep each
	byID    map[string]TestRestore
	appends int
	log     *logrus.Entry
}

const testRestoreHistoryFile = "test-restores.jsonl"

type testRestoreRecord struct {
	Event       string      `json:"event"` // started or finished
	TestRestore TestRestore `json:"test_restore"`
}

// openTestRestoreHistory opens (creating) the history in dir, whose lock the
// caller holds (OpenHistory took it). It returns the test-restores found
// interrupted, already recorded as cancelled.
func openTestRestoreHistory(dir string, keep int, log *logrus.Entry) (*testRestoreHistory, []TestRestore, error) {
	h := &testRestoreHistory{path: filepath.Join(dir, testRestoreHistoryFile), keep: max(keep, 1),
		byName: map[string][]TestRestore{}, byID: map[string]TestRestore{}, log: log}
	interrupted, err := h.load()
	if err == nil {
		err = h.compact()
	}
	if err != nil {
		h.close()
		return nil, nil, fmt.Errorf("test-restore history: %w", err)
	}
	return h, interrupted, nil
}

func (h *testRestoreHistory) load() ([]TestRestore, error) {
	f, err := os.Open(h.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	open := map[string]TestRestore{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		var r testRestoreRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			h.log.Warnf("test-restore history: skipping unreadable line %d of %s: %v", line, h.path, err)
			continue
		}
		switch r.Event {
		case "started":
			open[r.TestRestore.ID] = r.TestRestore
			order = append(order, r.TestRestore.ID)
		case "finished":
			delete(open, r.TestRestore.ID)
			h.add(r.TestRestore)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", h.path, err)
	}
	var interrupted []TestRestore
	for _, id := range order {
		tr, ok := open[id]
		if !ok {
			continue
		}
		tr.Outcome, tr.Ended = Cancelled, time.Now().UTC()
		tr.Error = "interrupted: the agent stopped before this test-restore finished (killed or crashed); its scratch container is removed at the agent's start"
		h.add(tr)
		interrupted = append(interrupted, tr)
	}
	return interrupted, nil
}

func (h *testRestoreHistory) add(tr TestRestore) {
	list := append(h.byName[tr.Name], tr)
	if len(list) > h.keep {
		for _, old := range list[:len(list)-h.keep] {
			delete(h.byID, old.ID)
		}
		list = append([]TestRestore(nil), list[len(list)-h.keep:]...)
	}
	h.byName[tr.Name] = list
	h.byID[tr.ID] = tr
}

// compact rewrites the file with the finished test-restores kept, and reopens it
// for appending.
func (h *testRestoreHistory) compact() error {
	var all []TestRestore
	for _, list := range h.byName {
		all = append(all, list...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Queued.Before(all[j].Queued) })
	base := filepath.Base(h.path)
	err := atomicfile.Write(h.path, base+".tmp-", 0o640, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, tr := range all {
			if err := enc.Encode(testRestoreRecord{Event: "finished", TestRestore: tr}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", h.path, err)
	}
	if h.file != nil {
		h.file.Close()
	}
	h.file, err = os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND, 0o640)
	h.appends = 0
	return err
}

func (h *testRestoreHistory) append(r testRestoreRecord) {
	b, err := json.Marshal(r)
	if err == nil && h.file == nil {
		err = errors.New("closed")
	}
	if err == nil {
		_, err = h.file.Write(append(b, '\n'))
	}
	if err == nil {
		err = h.file.Sync()
	}
	if err != nil {
		h.log.WithField("test_restore", r.TestRestore.ID).Errorf("test-restore history: could not record: %v", err)
		return
	}
	if h.appends++; h.appends >= compactEvery {
		if err := h.compact(); err != nil {
			h.log.Errorf("test-restore history: %v", err)
		}
	}
}

func (h *testRestoreHistory) started(tr TestRestore) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.append(testRestoreRecord{Event: "started", TestRestore: tr})
}

func (h *testRestoreHistory) finished(tr TestRestore) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.append(testRestoreRecord{Event: "finished", TestRestore: tr})
	h.add(tr)
}

func (h *testRestoreHistory) get(id string) (TestRestore, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tr, ok := h.byID[id]
	return tr, ok
}

// recent returns up to limit finished test-restores, newest first: of one
// backup name, or of all when name is empty.
func (h *testRestoreHistory) recent(name string, limit int) []TestRestore {
	h.mu.Lock()
	var out []TestRestore
	if name != "" {
		out = append(out, h.byName[name]...)
	} else {
		for _, list := range h.byName {
			out = append(out, list...)
		}
	}
	h.mu.Unlock()
	sortNewestFirst(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// last returns the latest passed and latest failed test-restore of a backup name.
func (h *testRestoreHistory) last(name string) (success, failure *TestRestore) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.byName[name]
	for i := len(list) - 1; i >= 0 && (success == nil || failure == nil); i-- {
		tr := list[i]
		if tr.Outcome == Succeeded && success == nil {
			success = &tr
		}
		if tr.Outcome == Failed && failure == nil {
			failure = &tr
		}
	}
	return success, failure
}

// lastOf returns the latest finished test-restore of an archive.
func (h *testRestoreHistory) lastOf(name, archive string) (TestRestore, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.byName[name]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Archive == archive && list[i].Outcome != Skipped {
			return list[i], true
		}
	}
	return TestRestore{}, false
}

func (h *testRestoreHistory) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file != nil {
		h.file.Close()
		h.file = nil
	}
}

// sortNewestFirst orders test-restores by when they were asked for, newest first.
func sortNewestFirst(list []TestRestore) {
	sort.Slice(list, func(i, j int) bool { return list[i].Queued.After(list[j].Queued) })
}
