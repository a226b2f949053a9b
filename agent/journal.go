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
	"slices"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/atomicfile"
)

// journal is the persisted record of one kind of work (backup attempts,
// test-restores): an append-only JSON Lines file in the state directory, one
// "started" and one "finished" line per entry, each synced to disk, with the
// finished entries of the last keep per backup name in memory. An entry that
// started and never finished was interrupted (the agent was killed). Every
// compactEvery appends the file is rewritten with what is kept.
type journal[T journaled] struct {
	mu      sync.Mutex
	path    string
	field   string // the entry's key in a line ({"event": ..., field: entry}), and its log field
	what    string // what the file is, for errors and logs: "history", "test-restore history"
	file    *os.File
	keep    int
	byName  map[string][]T // finished, oldest first, at most keep each
	byID    map[string]T
	appends int
	log     *logrus.Entry
}

// journaled is an entry of a journal.
type journaled interface {
	journalID() string
	journalName() string // the backup name it is kept under
	journalQueued() time.Time
	journalOutcome() Outcome
}

// compactEvery rewrites a journal's file after this many appends, dropping what
// keep no longer holds.
const compactEvery = 5000

// openJournal opens (creating) the journal at path, whose directory's lock the
// caller holds. interrupt turns an entry that never finished into its finished
// form; the entries so finished are returned.
func openJournal[T journaled](path, field, what string, keep int, log *logrus.Entry, interrupt func(T) T) (*journal[T], []T, error) {
	// A rewrite the previous agent did not finish.
	if stale, _ := filepath.Glob(path + ".tmp-*"); len(stale) > 0 {
		for _, p := range stale {
			_ = os.Remove(p)
		}
	}
	j := &journal[T]{path: path, field: field, what: what, keep: max(keep, 1),
		byName: map[string][]T{}, byID: map[string]T{}, log: log}
	interrupted, err := j.load(interrupt)
	if err == nil {
		err = j.compact()
	}
	if err != nil {
		j.close()
		return nil, nil, err
	}
	return j, interrupted, nil
}

// line is one line of the file: {"event": event, field: entry}.
func (j *journal[T]) line(event string, entry T) ([]byte, error) {
	b, err := json.Marshal(entry)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "{\"event\":%q,%q:%s}\n", event, j.field, b), nil
}

func (j *journal[T]) parse(b []byte) (event string, entry T, err error) {
	var raw map[string]json.RawMessage
	if err = json.Unmarshal(b, &raw); err == nil {
		err = json.Unmarshal(raw["event"], &event)
	}
	if err == nil {
		err = json.Unmarshal(raw[j.field], &entry)
	}
	return event, entry, err
}

// load reads the file; entries without a finished line are interrupted.
func (j *journal[T]) load(interrupt func(T) T) ([]T, error) {
	f, err := os.Open(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.what, err)
	}
	defer f.Close()
	open := map[string]T{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		event, entry, err := j.parse(sc.Bytes())
		if err != nil {
			// A torn last line (power loss mid-append) is expected; anything else is logged.
			j.log.Warnf("%s: skipping unreadable line %d of %s: %v", j.what, n, j.path, err)
			continue
		}
		switch event {
		case "started":
			open[entry.journalID()] = entry
			order = append(order, entry.journalID())
		case "finished":
			delete(open, entry.journalID())
			j.add(entry)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", j.what, j.path, err)
	}
	var interrupted []T
	for _, id := range order {
		if entry, ok := open[id]; ok {
			entry = interrupt(entry)
			j.add(entry)
			interrupted = append(interrupted, entry)
		}
	}
	return interrupted, nil
}

func (j *journal[T]) add(entry T) {
	name := entry.journalName()
	list := append(j.byName[name], entry)
	if len(list) > j.keep {
		for _, old := range list[:len(list)-j.keep] {
			delete(j.byID, old.journalID())
		}
		list = append([]T(nil), list[len(list)-j.keep:]...)
	}
	j.byName[name] = list
	j.byID[entry.journalID()] = entry
}

// compact rewrites the file with the finished entries kept, atomically, and
// reopens it for appending.
func (j *journal[T]) compact() error {
	var all []T
	for _, list := range j.byName {
		all = append(all, list...)
	}
	slices.SortStableFunc(all, func(x, y T) int { return x.journalQueued().Compare(y.journalQueued()) })
	err := atomicfile.Write(j.path, filepath.Base(j.path)+".tmp-", 0o640, func(w io.Writer) error {
		for _, entry := range all {
			b, err := j.line("finished", entry)
			if err == nil {
				_, err = w.Write(b)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: rewrite: %w", j.what, err)
	}
	if j.file != nil {
		j.file.Close()
	}
	j.file, err = os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o640)
	j.appends = 0
	return err
}

// append writes one line and syncs it; a failure is logged (the work itself
// goes on: its outcome is still reported everywhere else).
func (j *journal[T]) append(event string, entry T) {
	b, err := j.line(event, entry)
	if err == nil && j.file == nil {
		err = errors.New("closed")
	}
	if err == nil {
		_, err = j.file.Write(b)
	}
	if err == nil {
		err = j.file.Sync()
	}
	if err != nil {
		j.log.WithField(j.field, entry.journalID()).Errorf("%s: could not record: %v", j.what, err)
		return
	}
	if j.appends++; j.appends >= compactEvery {
		if err := j.compact(); err != nil {
			j.log.Errorf("%s: %v", j.what, err)
		}
	}
}

func (j *journal[T]) started(entry T) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append("started", entry)
}

func (j *journal[T]) finished(entry T) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.append("finished", entry)
	j.add(entry)
}

func (j *journal[T]) get(id string) (T, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	entry, ok := j.byID[id]
	return entry, ok
}

// recent returns up to limit finished entries (0: all kept), newest first: of
// one backup name, or of all when name is empty.
func (j *journal[T]) recent(name string, limit int) []T {
	j.mu.Lock()
	var out []T
	if name != "" {
		out = append(out, j.byName[name]...)
	} else {
		for _, list := range j.byName {
			out = append(out, list...)
		}
	}
	j.mu.Unlock()
	slices.SortStableFunc(out, func(x, y T) int { return y.journalQueued().Compare(x.journalQueued()) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// last returns the latest succeeded and the latest failed entry of a backup name.
func (j *journal[T]) last(name string) (success, failure *T) {
	j.mu.Lock()
	defer j.mu.Unlock()
	list := j.byName[name]
	for i := len(list) - 1; i >= 0 && (success == nil || failure == nil); i-- {
		entry := list[i]
		switch entry.journalOutcome() {
		case Succeeded:
			if success == nil {
				success = &entry
			}
		case Failed:
			if failure == nil {
				failure = &entry
			}
		}
	}
	return success, failure
}

// latest returns the newest finished entry of a backup name that match says yes to.
func (j *journal[T]) latest(name string, match func(T) bool) (T, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	list := j.byName[name]
	for i := len(list) - 1; i >= 0; i-- {
		if match(list[i]) {
			return list[i], true
		}
	}
	var none T
	return none, false
}

// close closes the file; later appends are logged as failures.
func (j *journal[T]) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.file == nil {
		return nil
	}
	err := j.file.Close()
	j.file = nil
	return err
}
