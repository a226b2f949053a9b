package agent

import (
	"context"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// Opener is an optional extension of Destinations, for destinations that carry
// their own settings and must know while a backup writes to them: the plugin's
// backup volumes have per-volume retention and encryption recipients, and
// `docker volume rm` is refused while a backup writes to one.
type Opener interface {
	// Open returns where t's next archive goes and with which settings, and
	// holds the destination until the Destination's Release is called (after the
	// archive is committed and retention applied). Errors are as Root's.
	Open(ctx context.Context, t engines.Target) (Destination, error)
}

// Destination is an opened destination of one backup.
type Destination struct {
	// Root is the directory the archive goes under, as Destinations.Root's.
	Root string
	// Retention overrides BT_RETENTION_* for the archives here; the target's
	// own baktainer.retention.* labels win over it. Nil fields are not set.
	Retention labels.Retention
	// Encryption, when not nil, replaces BT_ENCRYPTION_* for the archives here.
	Encryption *store.Encryption
	// Release ends the hold Open took; nil when there is none.
	Release func()
}

// open opens t's destination: through Opener when the destinations have one,
// else Root with the agent's own settings. Release is never nil.
func (a *Agent) open(ctx context.Context, t engines.Target) (Destination, error) {
	var d Destination
	var err error
	if o, ok := a.dests.(Opener); ok {
		d, err = o.Open(ctx, t)
	} else {
		d.Root, err = a.dests.Root(ctx, t)
	}
	if err != nil {
		if d.Release != nil {
			d.Release()
		}
		return Destination{}, err
	}
	if d.Release == nil {
		d.Release = func() {}
	}
	return d, nil
}

// options are the store options of an archive written to d.
func (a *Agent) options(d Destination) store.Options {
	opts := store.Options{Compression: a.cfg.Compression, Level: a.cfg.CompressionLevel, Encryption: a.cfg.Encryption}
	if d.Encryption != nil {
		opts.Encryption = *d.Encryption
	}
	return opts
}

// policy is the retention of t's archives in d: the agent's, then the
// destination's overrides, then the target's labels.
func (a *Agent) policy(d Destination, t engines.Target) store.Policy {
	return a.cfg.Policy(d.Retention, t.Spec.Retention)
}
