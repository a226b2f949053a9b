package agent

import (
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
)

// testRestoreHistory is the persisted record of test-restores: a journal
// (journal.go), test-restores.jsonl, in the state directory beside the backups'
// history (whose lock guards both). A test-restore that started and never
// finished was interrupted (the agent was killed; its scratch container is swept
// at the start): it is recorded cancelled.
type testRestoreHistory struct {
	*journal[TestRestore]
}

const testRestoreHistoryFile = "test-restores.jsonl"

func (tr TestRestore) journalID() string        { return tr.ID }
func (tr TestRestore) journalName() string      { return tr.Name }
func (tr TestRestore) journalQueued() time.Time { return tr.Queued }
func (tr TestRestore) journalOutcome() Outcome  { return tr.Outcome }

// openTestRestoreHistory opens (creating) the history in dir, whose lock the
// caller holds (OpenHistory took it). It returns the test-restores found
// interrupted, already recorded as cancelled.
func openTestRestoreHistory(dir string, keep int, log *logrus.Entry) (*testRestoreHistory, []TestRestore, error) {
	j, interrupted, err := openJournal(filepath.Join(dir, testRestoreHistoryFile), "test_restore", "test-restore history",
		keep, log, interruptTestRestore)
	if err != nil {
		return nil, nil, err
	}
	return &testRestoreHistory{j}, interrupted, nil
}

// interruptTestRestore is a test-restore the agent's death cut short, as recorded.
func interruptTestRestore(tr TestRestore) TestRestore {
	tr.Outcome, tr.Ended = Cancelled, time.Now().UTC()
	tr.Error = "interrupted: the agent stopped before this test-restore finished (killed or crashed); its scratch container is removed at the agent's start"
	return tr
}

// lastOf returns the latest finished test-restore of an archive.
func (h *testRestoreHistory) lastOf(name, archive string) (TestRestore, bool) {
	return h.latest(name, func(tr TestRestore) bool { return tr.Archive == archive && tr.Outcome != Skipped })
}
