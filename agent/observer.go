package agent

import (
	"sync"
	"time"
)

// Observer follows the lifecycle of backups. History, notifications and metrics are
// observers; the worker only reports to them. Methods are called synchronously from
// the worker, in order for one attempt, concurrently across attempts: they must be
// safe for concurrent use, return quickly and never block (queue slow work).
type Observer interface {
	// BackupStarted is called when an attempt got a worker and begins (Outcome running).
	BackupStarted(a Attempt)
	// BackupFinished is called once per started attempt, with its final outcome.
	BackupFinished(a Attempt)
}

// WarningObserver is an Observer that also wants warnings: label problems, a
// skipped run, a failed retention. Optional: observers that implement it get them.
type WarningObserver interface {
	Warning(w Warning)
}

// TargetObserver is an Observer that also follows discovery: a target registered
// (or updated, e.g. renamed) and removed. Optional, like WarningObserver.
type TargetObserver interface {
	TargetRegistered(t TargetStatus)
	TargetRemoved(t TargetStatus)
}

// Outcome is where an attempt stands.
type Outcome string

// Outcomes, in the order an attempt goes through them.
const (
	Queued    Outcome = "queued"
	Running   Outcome = "running"
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
)

// Final reports whether the attempt is over.
func (o Outcome) Final() bool { return o == Succeeded || o == Failed }

// Trigger says why a backup ran.
type Trigger string

// Triggers.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerOnStart  Trigger = "on_start"
	TriggerAPI      Trigger = "api"
)

// Attempt is one backup of one target: from the request through every retry to the
// final outcome. Its Error is scrubbed of the target's secrets.
type Attempt struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"` // the backup name (baktainer.name or container name)
	Container   string    `json:"container"`
	ContainerID string    `json:"container_id"`
	Engine      string    `json:"engine,omitempty"`
	Database    string    `json:"database,omitempty"`
	Trigger     Trigger   `json:"trigger"`
	Tag         string    `json:"tag,omitempty"` // the schedule's retention tag: archives go under Series
	Series      string    `json:"series,omitempty"`
	Outcome     Outcome   `json:"outcome"`
	Queued      time.Time `json:"queued"`
	Started     time.Time `json:"started,omitzero"`
	Ended       time.Time `json:"ended,omitzero"`
	Tries       int       `json:"tries"`
	Destination string    `json:"destination,omitempty"` // the root the archive went under
	Archive     string    `json:"archive,omitempty"`
	SizeBytes   int64     `json:"size_bytes,omitempty"`
	DumpBytes   int64     `json:"dump_bytes,omitempty"`
	Pruned      int       `json:"pruned,omitempty"` // archives retention removed afterwards
	Error       string    `json:"error,omitempty"`  // final; while running, the error a retry follows
	ErrorKind   ErrorKind `json:"error_kind,omitempty"`
	// Parts are the archives of a split backup (baktainer.db.split), one per
	// database, each committed on its own; Archive is the last of them.
	Parts []ArchivePart `json:"parts,omitempty"`
	// Hooks are the hooks that ran, with their output (hooks.go).
	Hooks []HookRun `json:"hooks,omitempty"`
	// Stopped are the containers of its stop group it stopped and started
	// again (baktainer.stop_during_backup).
	Stopped []string `json:"stopped,omitempty"`
	// Offsite is the archive's copy off the host (for a split backup, the
	// first failed copy of a part, else the last part's); nil when its
	// destination has none. A Succeeded attempt whose copy failed is "local ok,
	// off-host copy failed".
	Offsite *OffsiteCopy `json:"offsite,omitempty"`

	// Location is where a consumer finds the archive: "<volume>:<path in the
	// volume>" on a backup volume, else Archive; HostPath its path on the host
	// when known (location.go).
	Location string `json:"location,omitempty"`
	HostPath string `json:"host_path,omitempty"`
}

// Duration is how long the attempt ran (zero until it ended).
func (a Attempt) Duration() time.Duration {
	if a.Started.IsZero() || a.Ended.IsZero() {
		return 0
	}
	return a.Ended.Sub(a.Started)
}

// Warning is something an operator should fix that is not a failed backup.
type Warning struct {
	Time      time.Time `json:"time"`
	Name      string    `json:"name,omitempty"`
	Container string    `json:"container,omitempty"`
	Message   string    `json:"message"`
}

// observers fans events out to every observer.
type observers struct {
	mu   sync.RWMutex
	list []Observer
}

func (o *observers) add(obs ...Observer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ob := range obs {
		if ob != nil {
			o.list = append(o.list, ob)
		}
	}
}

func (o *observers) each(f func(Observer)) {
	o.mu.RLock()
	list := o.list
	o.mu.RUnlock()
	for _, ob := range list {
		f(ob)
	}
}

func (o *observers) started(a Attempt)  { o.each(func(ob Observer) { ob.BackupStarted(a) }) }
func (o *observers) finished(a Attempt) { o.each(func(ob Observer) { ob.BackupFinished(a) }) }

// eachAs calls f with every observer that also implements T (an optional
// observer interface: WarningObserver, TargetObserver, TestRestoreObserver).
func eachAs[T any](o *observers, f func(T)) {
	o.each(func(ob Observer) {
		if t, ok := ob.(T); ok {
			f(t)
		}
	})
}

func (o *observers) warning(w Warning) { eachAs(o, func(wo WarningObserver) { wo.Warning(w) }) }
func (o *observers) registered(t TargetStatus) {
	eachAs(o, func(to TargetObserver) { to.TargetRegistered(t) })
}
func (o *observers) removed(t TargetStatus) {
	eachAs(o, func(to TargetObserver) { to.TargetRemoved(t) })
}
