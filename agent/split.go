package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/parse"
)

// A split backup (baktainer.db.split=true) writes one archive per database, and
// for Postgres one of the roles and tablespaces, in one attempt: each dumped,
// committed and pruned on its own, under "<series>.<database>" (and
// "<series>.globals"), so each restores alone and retention counts each apart.
// A part that fails does not undo the others; a retry dumps only the parts
// still missing.

// ArchivePart is one archive an attempt committed.
type ArchivePart struct {
	Name      string `json:"name"`     // the backup name it is filed under
	Database  string `json:"database"` // as the engine names what it holds
	Archive   string `json:"archive"`
	SizeBytes int64  `json:"size_bytes"`
	DumpBytes int64  `json:"dump_bytes"`
}

// plannedPart is one archive to write: under name, what target dumps.
type plannedPart struct {
	name   string
	target engines.Target
}

// PartName is the backup name the split part of one database (or the globals)
// of series is filed under: "<series>.<part>", mapped to a name the store
// takes when it is not one (a database name with other characters, too long).
func PartName(series, part string) string {
	name, _ := parse.MapBackupName(series + "." + part)
	return name
}

// planParts lists what the attempt writes: t under its series, or, split, each
// part under its own name.
func (a *Agent) planParts(ctx context.Context, att *Attempt, t engines.Target, eng engines.Engine) ([]plannedPart, error) {
	series := seriesOf(t, att.Tag)
	if !t.Spec.Split {
		return []plannedPart{{name: series, target: t}}, nil
	}
	parts, err := eng.Split(ctx, a.dc, t)
	if errors.Is(err, engines.ErrNotSupported) {
		return nil, fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	if err != nil {
		return nil, err
	}
	planned := make([]plannedPart, 0, len(parts))
	for _, p := range parts {
		planned = append(planned, plannedPart{name: PartName(series, p.Name), target: p.Target})
	}
	return planned, nil
}

// backupParts dumps every planned part the attempt has not committed yet,
// each into its own archive, then applies retention to its name.
func (a *Agent) backupParts(ctx, tctx context.Context, log *logrus.Entry, att *Attempt, t engines.Target, eng engines.Engine, dest Destination) error {
	parts, err := a.planParts(tctx, att, t, eng)
	if err != nil {
		return a.timedOut(ctx, tctx, t, err)
	}
	var errs []error
	for i, p := range parts {
		if slices.ContainsFunc(att.Parts, func(done ArchivePart) bool { return done.Name == p.name }) {
			continue // committed by an earlier try
		}
		if err := a.partConflict(att, parts[:i], p); err != nil {
			errs = append(errs, err)
			continue
		}
		res, err := RunBackup(tctx, a.dc, log, Job{Target: p.target, Engine: eng, Root: dest.Root, Options: a.options(dest), Name: p.name,
			StartCopy: startCopy(tctx, log, dest)})
		if err != nil {
			errs = append(errs, a.timedOut(ctx, tctx, t, explainFloor(err, dest)))
			if tctx.Err() != nil {
				break
			}
			continue
		}
		att.Parts = append(att.Parts, ArchivePart{Name: res.Meta.Name, Database: res.Meta.Database, Archive: res.Path,
			SizeBytes: res.Meta.Size, DumpBytes: res.Meta.DumpSize})
		att.Archive, att.SizeBytes, att.DumpBytes = res.Path, att.SizeBytes+res.Meta.Size, att.DumpBytes+res.Meta.DumpSize
		att.Location, att.HostPath = dest.where(res.Path)
		// The copy's catch-up and remote retention count this part's own series.
		named := p.target
		named.Spec.Name = p.name
		copied := a.copyOffsite(tctx, log, dest, named, res.Path, res.Copy) // offsite.go: the copy off the host
		att.Pruned += a.prune(ctx, dest.Root, res.Path, res.Meta.Name, a.policy(dest, t), t)
		a.pruneOffsite(tctx, dest, named, copied) // the remote retention, after the local one
		if att.Offsite == nil || att.Offsite.Outcome != Failed {
			att.Offsite = copied
		}
	}
	return errors.Join(errs...)
}

// timedOut says that err came of BT_BACKUP_TIMEOUT, when it did.
func (a *Agent) timedOut(ctx, tctx context.Context, t engines.Target, err error) error {
	if errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("container %s: timed out after %s (BT_BACKUP_TIMEOUT): %w", t.Container.Name, a.cfg.BackupTimeout, context.DeadlineExceeded)
	}
	return err
}

// partConflict refuses a part whose name an earlier part of the attempt, or
// another container's backups in the destination, already file archives
// under: two series in one name would mix, and retention would count them as
// one.
func (a *Agent) partConflict(att *Attempt, earlier []plannedPart, p plannedPart) error {
	for _, e := range earlier {
		if e.name == p.name {
			return fmt.Errorf("container %s: two parts of its split backup are both filed under %q; exclude one with label baktainer.db.exclude",
				att.Container, p.name)
		}
	}
	if holder := a.targets.nameHeldByOther(p.name, att.ContainerID); holder != "" {
		return fmt.Errorf("container %s: its archives would be filed under %q, the backup name of container %s: give one of them another baktainer.name",
			att.Container, p.name, holder)
	}
	return nil
}

// nameHeldByOther returns the container, other than id, whose backup name is
// name in the destination of id's archives; "" when none.
func (ts *targets) nameHeldByOther(name, id string) string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	self, ok := ts.byID[id]
	for _, o := range ts.byID {
		if holdsName(o, name, id) && (!ok || o.destination == self.destination) {
			return o.target.Container.Name
		}
	}
	return ""
}
