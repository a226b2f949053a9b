package agent

import (
	"fmt"
	"github.com/docker/go-units"

	"github.com/baktainer/baktainer/notify"
)

// notifyObserver turns backup events into notifications. Events carry names,
// sizes and scrubbed errors only: never labels or environments.
type notifyObserver struct{ n *notify.Notifier }

var (
	_ Observer        = notifyObserver{}
	_ WarningObserver = notifyObserver{}
)

func (notifyObserver) BackupStarted(Attempt) {}

func (o notifyObserver) BackupFinished(a Attempt) {
	e := notify.Event{
		Kind: notify.BackupSucceeded, Time: a.Ended, Name: a.Name, Container: a.Container, Engine: a.Engine,
		Database: a.Database, AttemptID: a.ID, Trigger: string(a.Trigger), Archive: a.Archive, HostPath: a.HostPath, SizeBytes: a.SizeBytes,
		DurationSeconds: a.Duration().Seconds(), Tries: a.Tries, Error: a.Error, ErrorKind: string(a.ErrorKind),
	}
	if a.Location != "" { // the plugin's own path means nothing to the reader
		e.Archive = a.Location
	}
	onHost := ""
	if a.HostPath != "" && a.HostPath != e.Archive {
		onHost = " (on the host: " + a.HostPath + ")"
	}
	switch {
	case a.Outcome == Succeeded && a.Offsite.Failed():
		e.Kind, e.Error = notify.OffsiteFailed, a.Offsite.Error
		e.Message = fmt.Sprintf("Backup of %s (container %s, %s) was made on this host (%s%s) but its OFF-HOST COPY to %s FAILED: %s",
			a.Name, a.Container, a.Engine, e.Archive, onHost, a.Offsite.Remote, a.Offsite.Error)
	case a.Outcome == Succeeded:
		e.Message = fmt.Sprintf("Backup of %s (container %s, %s) succeeded: %s in %.1fs, %s%s",
			a.Name, a.Container, a.Engine, units.BytesSize(float64(a.SizeBytes)), e.DurationSeconds, e.Archive, onHost)
	default:
		e.Kind = notify.BackupFailed
		e.Message = fmt.Sprintf("Backup of %s (container %s, %s) FAILED after %d tries [%s]: %s",
			a.Name, a.Container, a.Engine, a.Tries, a.ErrorKind, a.Error)
	}
	o.n.Notify(e)
}

func (o notifyObserver) Warning(w Warning) {
	o.n.Notify(notify.Event{Kind: notify.Warning, Time: w.Time, Name: w.Name, Container: w.Container,
		Message: fmt.Sprintf("%s (container %s): %s", w.Name, w.Container, w.Message)})
}

var _ TestRestoreObserver = notifyObserver{}

// TestRestoreStarted implements TestRestoreObserver.
func (notifyObserver) TestRestoreStarted(TestRestore) {}

// TestRestoreFinished implements TestRestoreObserver: a failure names the
// check; a cancelled one says nothing of the archive and is not sent.
func (o notifyObserver) TestRestoreFinished(tr TestRestore) {
	if tr.Outcome != Succeeded && tr.Outcome != Failed {
		return
	}
	e := notify.Event{Kind: notify.RestoreTestSucceeded, Time: tr.Ended, Name: tr.Name, Container: tr.Container,
		Engine: tr.Engine, AttemptID: tr.ID, Trigger: string(tr.Trigger), Archive: tr.Archive,
		DurationSeconds: tr.Duration().Seconds(), Error: tr.Error, Check: tr.FailedCheck}
	if tr.Outcome == Succeeded {
		e.Message = fmt.Sprintf("Test-restore of %s (container %s, %s) passed: %s restored into %s and %d checks passed in %.1fs",
			tr.Name, tr.Container, tr.Engine, tr.Archive, tr.Image, len(tr.Checks), e.DurationSeconds)
	} else {
		e.Kind = notify.RestoreTestFailed
		e.Message = fmt.Sprintf("Test-restore of %s (container %s, %s) FAILED at check %q: %s (archive %s)",
			tr.Name, tr.Container, tr.Engine, tr.FailedCheck, tr.Error, tr.Archive)
	}
	o.n.Notify(e)
}
