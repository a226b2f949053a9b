package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// History is the persisted record of every attempt: a journal (journal.go) in the
// state directory, history.jsonl, one "started" and one "finished" line per
// attempt, each synced to disk. An attempt that started but never finished was
// interrupted (the agent was killed): Open records it as failed. History is an
// Observer. It holds the state directory's lock: one agent per state directory.
type History struct {
	*journal[Attempt]
	lock *os.File
}

var _ Observer = (*History)(nil)

const (
	historyFile = "history.jsonl"
	lockFile    = "agent.lock"
)

func (a Attempt) journalID() string        { return a.ID }
func (a Attempt) journalName() string      { return a.Name }
func (a Attempt) journalQueued() time.Time { return a.Queued }
func (a Attempt) journalOutcome() Outcome  { return a.Outcome }

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
	j, interrupted, err := openJournal(filepath.Join(dir, historyFile), "attempt", "history", keep, log, interruptAttempt)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	return &History{journal: j, lock: lock}, interrupted, nil
}

// interruptAttempt is an attempt the agent's death cut short, as recorded.
func interruptAttempt(a Attempt) Attempt {
	a.Outcome, a.Ended, a.ErrorKind = Failed, time.Now().UTC(), KindInterrupted
	a.Error = "interrupted: the agent stopped before this backup finished (killed or crashed); its partial file was removed at restart"
	return a
}

// BackupStarted implements Observer.
func (h *History) BackupStarted(a Attempt) { h.started(a) }

// BackupFinished implements Observer.
func (h *History) BackupFinished(a Attempt) { h.finished(a) }

// Get returns a finished attempt by ID.
func (h *History) Get(id string) (Attempt, bool) { return h.get(id) }

// Recent returns up to limit finished attempts (0: all kept), newest first: of
// one backup name, or of all when name is empty.
func (h *History) Recent(name string, limit int) []Attempt { return h.recent(name, limit) }

// Last returns the latest succeeded and latest failed attempt of a backup name.
func (h *History) Last(name string) (success, failure *Attempt) { return h.last(name) }

// Close closes the file and releases the state directory.
func (h *History) Close() error {
	err := h.close()
	h.journal.mu.Lock()
	defer h.journal.mu.Unlock()
	if h.lock != nil {
		err = errors.Join(err, h.lock.Close())
		h.lock = nil
	}
	return err
}
