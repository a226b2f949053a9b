package agent

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

func TestHistorySurvivesRestartAndMarksInterrupted(t *testing.T) {
	dir := t.TempDir()
	h, interrupted, err := OpenHistory(dir, 3, quietLog())
	if err != nil || len(interrupted) != 0 {
		t.Fatalf("open: %v, %v", interrupted, err)
	}
	if _, _, err := OpenHistory(dir, 3, quietLog()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second agent on the same state dir: %v", err)
	}
	t0 := time.Now().UTC()
	for i := 0; i < 5; i++ {
		a := Attempt{ID: "ok" + string(rune('a'+i)), Name: "db", Queued: t0.Add(time.Duration(i) * time.Second), Outcome: Running}
		h.BackupStarted(a)
		a.Outcome = Succeeded
		h.BackupFinished(a)
	}
	h.BackupStarted(Attempt{ID: "killed", Name: "db", Queued: t0.Add(time.Minute), Outcome: Running})
	h.Close() // as after SIGKILL: no finished record for "killed"

	h, interrupted, err = OpenHistory(dir, 3, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if len(interrupted) != 1 || interrupted[0].ID != "killed" || interrupted[0].Outcome != Failed || interrupted[0].ErrorKind != KindInterrupted {
		t.Fatalf("interrupted = %+v", interrupted)
	}
	recent := h.Recent("db", 0)
	if len(recent) != 3 || recent[0].ID != "killed" || recent[1].ID != "oke" {
		t.Fatalf("recent = %+v", recent)
	}
	ok, failed := h.Last("db")
	if ok == nil || ok.ID != "oke" || failed == nil || failed.ID != "killed" {
		t.Errorf("last = %+v, %+v", ok, failed)
	}
	if _, found := h.Get("oka"); found {
		t.Errorf("attempt beyond BT_HISTORY_KEEP still kept")
	}
	// A third start finds nothing new interrupted: the failure was recorded.
	h.Close()
	h2, interrupted, err := OpenHistory(dir, 3, quietLog())
	if err != nil || len(interrupted) != 0 {
		t.Fatalf("reopen: %v, %v", interrupted, err)
	}
	if a, ok := h2.Get("killed"); !ok || a.Outcome != Failed {
		t.Errorf("killed = %+v, %v", a, ok)
	}
	h2.Close()
}
