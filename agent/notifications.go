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
	if a.Outcome == Succeeded {
		e.Message = fmt.Sprintf("Backup of %s (container %s, %s) succeeded: %s in %.1fs, %s",
			a.Name, a.Container, a.Engine, units.BytesSize(float64(a.SizeBytes)), e.DurationSeconds, e.Archive)
		if a.HostPath != "" && a.HostPath != e.Archive {
			e.Message += " (on the host: " + a.HostPath + ")"
		}
	} else {
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
