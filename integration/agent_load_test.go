//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// 200 labelled containers due at the same minute with BT_THREADS=4: every backup
// completes, never more than 4 dumps run at once, and never two of one container,
// even with run-now requests for the same containers arriving meanwhile. Counted
// twice: by an observer (attempts in flight) and inside the stand-in engine's Dump
// (real execs in flight).
func TestAgentLoad200SameMinute(t *testing.T) {
	const n, threads = 200, 4
	dc := rig.Docker(t)
	run := rig.RunID()
	names := startTinies(t, dc, "agent-load", n, func(int) map[string]string {
		return standinLabels(run, "baktainer.schedule", "* * * * *", dumpBytesLabel, "32768", dumpSecondsLabel, "0.05")
	})
	reg, dumps := standinRegistry()
	attempts := flightObserver{newInFlight()}
	ta := startAgent(t, dc, run, map[string]string{"BT_THREADS": "4", "BT_LOG_LEVEL": "info"}, reg, attempts)
	waitUntil(t, 60*time.Second, func() string { return "not every container registered" }, func() bool { return len(ta.Targets()) == n })
	due := ta.Targets()[0].NextRun
	for _, st := range ta.Targets() {
		if !st.NextRun.Equal(due) {
			t.Fatalf("%s is due at %s, %s at %s: not the same minute", st.Container, st.NextRun, ta.Targets()[0].Container, due)
		}
	}
	t.Logf("%d targets due at %s (in %s)", n, due.Format(time.TimeOnly), time.Until(due).Round(time.Second))

	// Run-now requests for containers that are queued or running must be refused.
	time.Sleep(time.Until(due) + 500*time.Millisecond)
	for _, name := range names[n-20:] {
		status := api(t, "POST", ta.url+"/api/v1/backups", "", agent.BackupRequest{Container: name}, &agent.Attempt{})
		if status != http.StatusConflict && status != http.StatusAccepted {
			t.Errorf("run-now of %s during the load: HTTP %d", name, status)
		}
	}
	waitUntil(t, 3*time.Minute, func() string {
		_, _, started, ended := dumps.maxima()
		return fmt.Sprintf("not every backup completed; dumps started/ended %d/%d", started, ended)
	}, func() bool {
		_, _, startedDumps, endedDumps := dumps.maxima()
		_, _, startedAttempts, endedAttempts := attempts.maxima()
		if startedDumps != endedDumps || startedAttempts != endedAttempts {
			return false
		}
		for _, name := range names {
			if count(ta.attempts(name), agent.Succeeded) == 0 {
				return false
			}
		}
		return true
	})
	took := time.Since(due)

	for _, name := range names {
		for _, a := range ta.attempts(name) {
			if a.Trigger == agent.TriggerSchedule && (a.Queued.Before(due.Add(-time.Second)) || a.Queued.After(due.Add(2*time.Second))) {
				t.Errorf("%s queued at %s, not at the minute %s", name, a.Queued, due)
			}
			if a.Outcome != agent.Succeeded {
				t.Errorf("%s: %s attempt %s: %s", name, a.Outcome, a.ID, a.Error)
			}
		}
	}
	for what, f := range map[string]*inFlight{"attempts (observer)": attempts.inFlight, "dump execs (engine)": dumps} {
		maxAll, maxPerContainer, started, ended := f.maxima()
		t.Logf("%s: %d started, %d ended, at most %d at once, at most %d per container", what, started, ended, maxAll, maxPerContainer)
		if maxAll > threads || maxPerContainer > 1 || started != ended || started < n {
			t.Errorf("%s: at most %d at once (limit %d), %d per container (limit 1), %d started, %d ended",
				what, maxAll, threads, maxPerContainer, started, ended)
		}
		if maxAll < threads {
			t.Errorf("%s: never more than %d at once: the pool of %d was not used", what, maxAll, threads)
		}
	}
	t.Logf("%d backups done %s after the minute", n, took.Round(100*time.Millisecond))

	archives, err := store.List(context.Background(), ta.dir)
	if err != nil || len(archives) < n {
		t.Fatalf("%d archives listed (%v), want at least %d", len(archives), err, n)
	}
	for i, a := range archives {
		if err := store.VerifyChecksum(context.Background(), a.Path); err != nil {
			t.Errorf("archive %s: %v", a.Path, err)
		}
		if i%50 == 0 { // decompress a sample: the dump is whole
			r, err := store.Open(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.HasPrefix(b, standinHeader) || !bytes.HasSuffix(b, standinFooter) || len(b) < 32768 {
				t.Errorf("archive %s holds %d bytes (%v), not the whole dump", a.Path, len(b), err)
			}
		}
	}
}
