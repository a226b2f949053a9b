package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// Offsite is where an opened destination's archives are copied off the host: an
// S3 bucket and prefix (issue #16). *offsite.Remote is the one implementation;
// the agent's tests script failures with a fake. Its methods must be safe for
// concurrent use and return errors that carry no credential.
type Offsite interface {
	// Upload copies the committed archive at path and its sidecars (the
	// sidecars last: their presence marks a complete copy), and returns once
	// the copy is verified against the archive's SHA-256, retrying transient
	// failures itself. The local archive is never touched. An identical
	// complete copy already there is not sent again (Upload.Skipped).
	Upload(ctx context.Context, path string) (offsite.Upload, error)
	// List lists the complete remote copies of name.
	List(ctx context.Context, name string) (offsite.Listing, error)
	// Prune applies p to the remote copies of name, never removing the newest
	// that verifies (opts.Verified: the copy just made).
	Prune(ctx context.Context, name string, p store.Policy, now time.Time, opts offsite.PruneOptions) (offsite.Pruned, error)
	// String names where the copies go, without credentials, for logs and status.
	String() string
}

var _ Offsite = (*offsite.Remote)(nil)

// earlyCopier is an Offsite that can copy an archive while it is written.
type earlyCopier interface {
	Begin(ctx context.Context, g offsite.Growing) *offsite.Early
}

var _ earlyCopier = (*offsite.Remote)(nil)

// EarlyCopy is an off-host copy started while its archive is written
// (*offsite.Early): Finish it with the committed archive, or Cancel it.
type EarlyCopy interface {
	Finish(ctx context.Context, path string) (offsite.Upload, error)
	Cancel()
}

// startCopy returns the Job.StartCopy for destination d: its archives' parts go
// off the host while the dump is written, so the copy adds little to the
// backup's time (docs/OFFSITE.md). Nil when d has no off-host place, or one
// that copies only after the commit.
func startCopy(ctx context.Context, log *logrus.Entry, d Destination) func(*store.Pending) EarlyCopy {
	ec, ok := d.Offsite.(earlyCopier)
	if !ok {
		return nil
	}
	return func(p *store.Pending) EarlyCopy {
		data, err := p.OpenWritten()
		if err != nil {
			log.WithError(err).Warn("the off-host copy waits for the commit")
			return nil
		}
		name, created, file := p.Planned()
		return ec.Begin(ctx, offsite.Growing{Name: name, Created: created, File: file, Data: data, Written: p.Written})
	}
}

// OffsiteCopy is what became of an attempt's off-host copy. The attempt's own
// Outcome says whether the local archive was made; this says whether it also
// survives the host: an attempt may be "local ok, off-host copy failed".
type OffsiteCopy struct {
	Remote  string  `json:"remote"`  // where the copies go (scheme://host/bucket/prefix), no credentials
	Outcome Outcome `json:"outcome"` // succeeded or failed
	URL     string  `json:"url,omitempty"`
	// Skipped: an identical complete copy was there already.
	Skipped   bool  `json:"skipped,omitempty"`
	SentBytes int64 `json:"sent_bytes"` // retries included
	// WhileWriting: the parts went while the archive was written; the
	// duration counts from the local commit.
	WhileWriting    bool    `json:"while_writing,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
	Retries         int     `json:"retries,omitempty"`
	// CaughtUp counts earlier archives that had missed their copy (the server
	// was down) and were copied by this attempt; Missing those still without one.
	CaughtUp int    `json:"caught_up,omitempty"`
	Missing  int    `json:"missing,omitempty"`
	Pruned   int    `json:"pruned,omitempty"` // remote copies the remote retention removed
	Error    string `json:"error,omitempty"`
}

// Failed reports whether the copy of the attempt's archive failed.
func (c *OffsiteCopy) Failed() bool { return c != nil && c.Outcome == Failed }

// Succeeded reports whether the attempt's archive was copied off the host.
func (c *OffsiteCopy) Succeeded() bool { return c != nil && c.Outcome == Succeeded }

// copyOffsite copies the archive just committed at path off the host, when its
// destination has an off-host place (finishing early, the copy started while
// the archive was written, when there is one), then the earlier archives of the
// same name that missed theirs. A failure is the copy's, never the backup's: the local
// archive stays and the next backup tries again.
func (a *Agent) copyOffsite(ctx context.Context, log *logrus.Entry, d Destination, t engines.Target, path string, early EarlyCopy) *OffsiteCopy {
	if d.Offsite == nil {
		return nil
	}
	c := &OffsiteCopy{Remote: d.Offsite.String()}
	var up offsite.Upload
	var err error
	if early != nil {
		up, err = early.Finish(ctx, path)
	} else {
		up, err = d.Offsite.Upload(ctx, path)
	}
	c.URL, c.Skipped, c.SentBytes, c.Retries, c.WhileWriting = up.URL, up.Skipped, up.Bytes, up.Retries, up.Early
	c.DurationSeconds = up.Duration.Seconds()
	if err != nil {
		c.Outcome, c.Error = Failed, scrubTarget(err.Error(), t)
		log.WithField("remote", c.Remote).Errorf("off-host copy failed (the local archive is safe): %s", c.Error)
		return c
	}
	c.Outcome = Succeeded
	log.WithFields(logrus.Fields{"url": c.URL, "bytes": c.SentBytes, "seconds": c.DurationSeconds, "skipped": c.Skipped}).Info("off-host copy made")
	a.catchUp(ctx, log, d, t, c)
	return c
}

// catchUp copies the archives of t's name that are still on the destination but
// not off the host (their backup ran while the server was down), newest first,
// as far as the remote retention would keep them. It stops at the first failure.
func (a *Agent) catchUp(ctx context.Context, log *logrus.Entry, d Destination, t engines.Target, c *OffsiteCopy) {
	missing, err := a.missingCopies(ctx, d, t)
	if err != nil {
		a.offsiteWarning(t, fmt.Sprintf("could not look for earlier archives of %s without an off-host copy: %v", BackupName(t), err))
		return
	}
	for i, path := range missing {
		up, err := d.Offsite.Upload(ctx, path)
		c.SentBytes += up.Bytes
		c.Retries += up.Retries
		if err != nil {
			c.Missing = len(missing) - i
			a.offsiteWarning(t, fmt.Sprintf("%d earlier archive(s) of %s still have no off-host copy: %s",
				c.Missing, BackupName(t), scrubTarget(err.Error(), t)))
			return
		}
		c.CaughtUp++
		log.WithField("url", up.URL).Info("off-host copy made of an earlier archive that had missed it")
	}
}

// missingCopies returns the paths of the local archives of t's name without a
// remote copy that the remote retention would keep, newest first.
func (a *Agent) missingCopies(ctx context.Context, d Destination, t engines.Target) ([]string, error) {
	name := BackupName(t)
	local, err := store.Scan(ctx, d.Root)
	if err != nil {
		return nil, err
	}
	remote, err := d.Offsite.List(ctx, name)
	if err != nil {
		return nil, err
	}
	copied := map[string]bool{}
	for _, c := range remote.Copies {
		copied[c.Meta.File] = true
	}
	union := remote.Archives()
	var candidates []store.Archive
	for _, arch := range local.Archives {
		if arch.Meta.Name == name && !copied[arch.Meta.File] {
			candidates = append(candidates, arch)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	union = append(union, candidates...)
	keep := map[string]bool{}
	for _, dec := range store.Plan(union, a.offsitePolicy(d, t), time.Now(), store.Facts{}) {
		keep[dec.Archive.Path] = dec.Keep
	}
	var out []string
	for i := len(candidates) - 1; i >= 0; i-- { // newest first
		if keep[candidates[i].Path] {
			out = append(out, candidates[i].Path)
		}
	}
	return out, nil
}

// pruneOffsite applies the remote retention after the local one, when the
// copy was made: the remote copies' own policy, independent of the local
// archives. A failure is a warning, as a failed local retention is.
func (a *Agent) pruneOffsite(ctx context.Context, d Destination, t engines.Target, c *OffsiteCopy) {
	if d.Offsite == nil || c == nil || c.Outcome != Succeeded {
		return
	}
	name := BackupName(t)
	key := ""
	if u, err := offsite.ParseURL(c.URL); err == nil {
		key = u.Key
	}
	res, err := d.Offsite.Prune(ctx, name, a.offsitePolicy(d, t), time.Now(), offsite.PruneOptions{Verified: key})
	for _, dec := range res.Decisions {
		if !dec.Keep {
			c.Pruned++
		}
	}
	if err != nil {
		a.offsiteWarning(t, fmt.Sprintf("retention of the off-host copies of %s failed (the copies are safe): %s", name, scrubTarget(err.Error(), t)))
	}
	for _, p := range res.Problems {
		a.offsiteWarning(t, fmt.Sprintf("an off-host copy of %s cannot be trusted, left alone: %s", name, scrubTarget(p.Err.Error(), t)))
	}
}

// offsitePolicy is the retention of t's remote copies in d: the local policy,
// then BT_S3_RETENTION_*, then the destination's own remote overrides.
func (a *Agent) offsitePolicy(d Destination, t engines.Target) store.Policy {
	p := a.cfg.Policy(d.Retention, t.Spec.Retention, a.cfg.S3Retention, d.OffsiteRetention)
	p.MinFreeBytes = 0 // a bucket has no free space to keep
	return p
}

func (a *Agent) offsiteWarning(t engines.Target, msg string) {
	a.log.WithField("name", BackupName(t)).Warn(msg)
	a.obs.warning(Warning{Time: time.Now().UTC(), Name: BackupName(t), Container: t.Container.Name, Message: msg})
}

// standaloneDirectory is the standalone destination, BT_BACKUP_DIR, with the
// off-host copies BT_S3_* ask for.
func standaloneDirectory(cfg config.Config, log *logrus.Entry) (Directory, error) {
	d := Directory{Dir: cfg.BackupDir}
	if !cfg.S3Enabled() {
		return d, nil
	}
	remote, err := offsite.New(cfg.S3, offsite.Options{Log: log.WithField("component", "offsite")})
	if err != nil {
		return d, err
	}
	d.Offsite = remote
	return d, nil
}

// brokenOffsite is the off-host place of a destination whose settings cannot
// make one (e.g. a volume asks for a bucket while the plugin has no BT_S3_*
// settings): every copy fails with err, so the misconfiguration is as loud as a
// failed upload, while the local backups go on.
type brokenOffsite struct {
	where string
	err   error
}

// BrokenOffsite returns an Offsite whose every copy fails with err: a
// destination that asks for copies it cannot make says so on every backup.
func BrokenOffsite(where string, err error) Offsite { return brokenOffsite{where, err} }

func (b brokenOffsite) Upload(context.Context, string) (offsite.Upload, error) {
	return offsite.Upload{}, b.err
}
func (b brokenOffsite) List(context.Context, string) (offsite.Listing, error) {
	return offsite.Listing{}, b.err
}
func (b brokenOffsite) Prune(context.Context, string, store.Policy, time.Time, offsite.PruneOptions) (offsite.Pruned, error) {
	return offsite.Pruned{}, b.err
}
func (b brokenOffsite) String() string { return b.where }
