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
	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/atomicfile"
)

// History is the persisted record of every attempt: an append-only JSON Lines file
// in the state directory, one "started" and one "finished" record per attempt, each
// synced to disk. An attempt that started but never finished was interrupted (the
// agent was killed): Open records it as failed. History is an Observer.
type History struct {
	mu      sync.Mutex
	dir     string
	file    *os.File
	lock    *os.File
	keep    int
	byName  map[string][]Attempt // finished, oldest first, at most keep each
	byID    map[string]Attempt
	appends int
	log     *logrus.Entry
}

var _ Observer = (*History)(nil)

const (
	historyFile = "history.jsonl"
	lockFile    = "agent.lock"
	// compactEvery rewrites the file after this many appends, dropping what keep no
	// longer holds.
	compactEvery = 5000
)

// record is one line of the history file.
type record struct {
	Event   string  `json:"event"` // started or finished
	Attempt Attempt `json:"attempt"`
}

// OpenHistory opens (creating) the history under dir, taking the state directory's
// lock: one agent per state directory. It returns the attempts found interrupted,
// already recorded as failed.
func OpenHistory(dir string, keep int, log *logrus.Entry) (*History, []Attempt, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("state directory %s is in use by another baktainer agent (%w)", dir, err)
	}
	// A rewrite the previous agent did not finish.
	if stale, _ := filepath.Glob(filepath.Join(dir, historyFile+".tmp-*")); len(stale) > 0 {
		for _, p := range stale {
			_ = os.Remove(p)
		}
	}
	h := &History{dir: dir, lock: lock, keep: max(keep, 1), byName: map[string][]Attempt{}, byID: map[string]Attempt{}, log: log}
	interrupted, err := h.load()
	if err == nil {
		err = h.compact()
	}
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	return h, interrupted, nil
}

// load reads the file; attempts without a finished record become failed.
func (h *History) load() ([]Attempt, error) {
	f, err := os.Open(filepath.Join(h.dir, historyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	open := map[string]Attempt{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// A torn last line (power loss mid-append) is expected; anything else is logged.
			h.log.Warnf("history: skipping unreadable line %d of %s: %v", line, f.Name(), err)
			continue
		}
		switch r.Event {
		case "started":
			open[r.Attempt.ID] = r.Attempt
			order = append(order, r.Attempt.ID)
		case "finished":
			delete(open, r.Attempt.ID)
			h.add(r.Attempt)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: read %s: %w", f.Name(), err)
	}
	var interrupted []Attempt
	now := time.Now().UTC()
	for _, id := range order {
		a, ok := open[id]
		if !ok {
			continue
		}
		a.Outcome, a.Ended, a.ErrorKind = Failed, now, KindInterrupted
		a.Error = "interrupted: the agent stopped before this backup finished (killed or crashed); its partial file was removed at restart"
		h.add(a)
		interrupted = append(interrupted, a)
	}
	return interrupted, nil
}

func (h *History) add(a Attempt) {
	list := append(h.byName[a.Name], a)
	if len(list) > h.keep {
		for _, old := range list[:len(list)-h.keep] {
			delete(h.byID, old.ID)
		}
		list = append([]Attempt(nil), list[len(list)-h.keep:]...)
	}
	h.byName[a.Name] = list
	h.byID[a.ID] = a
}

// compact rewrites the file with the finished attempts kept, atomically, and
// reopens it for appending.
func (h *History) compact() error {
	var all []Attempt
	for _, list := range h.byName {
		all = append(all, list...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Queued.Before(all[j].Queued) })
	err := atomicfile.Write(filepath.Join(h.dir, historyFile), historyFile+".tmp-", 0o640, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, a := range all {
			if err := enc.Encode(record{Event: "finished", Attempt: a}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: rewrite: %w", err)
	}
	if h.file != nil {
		h.file.Close()
	}
	h.file, err = os.OpenFile(filepath.Join(h.dir, historyFile), os.O_WRONLY|os.O_APPEND, 0o640)
	h.appends = 0
	return err
}

// append writes one record and syncs it.
func (h *History) append(r record) {
	b, err := json.Marshal(r)
	if err == nil {
		_, err = h.file.Write(append(b, '\n'))
	}
	if err == nil {
		err = h.file.Sync()
	}
	if err != nil {
		h.log.WithField("attempt", r.Attempt.ID).Errorf("history: could not record attempt: %v", err)
		return
	}
	if h.appends++; h.appends >= compactEvery {
		if err := h.compact(); err != nil {
			h.log.Errorf("history: %v", err)
		}
	}
}

// BackupStarted implements Observer.
func (h *History) BackupStarted(a Attempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.append(record{Event: "started", Attempt: a})
}

// BackupFinished implements Observer.
func (h *History) BackupFinished(a Attempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.append(record{Event: "finished", Attempt: a})
	h.add(a)
}

// Get returns a finished attempt by ID.
func (h *History) Get(id string) (Attempt, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.byID[id]
	return a, ok
}

// Recent returns up to limit finished attempts, newest first: of one backup name,
// or of all when name is empty.
func (h *History) Recent(name string, limit int) []Attempt {
	h.mu.Lock()
	var out []Attempt
	if name != "" {
		out = append(out, h.byName[name]...)
	} else {
		for _, list := range h.byName {
			out = append(out, list...)
		}
	}
	h.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Queued.After(out[j].Queued) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Last returns the latest succeeded and latest failed attempt of a backup name.
func (h *History) Last(name string) (success, failure *Attempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.byName[name]
	for i := len(list) - 1; i >= 0 && (success == nil || failure == nil); i-- {
		a := list[i]
		if a.Outcome == Succeeded && success == nil {
			success = &a
		}
		if a.Outcome == Failed && failure == nil {
			failure = &a
		}
	}
	return success, failure
}

// Close closes the file and releases the state directory.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	if h.file != nil {
		errs = append(errs, h.file.Close())
		h.file = nil
	}
	if h.lock != nil {
		errs = append(errs, h.lock.Close())
		h.lock = nil
	}
	return errors.Join(errs...)
}
