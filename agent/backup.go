package agent

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// Job is one backup to run: a target, its engine and where the archive goes.
type Job struct {
	Target  engines.Target
	Engine  engines.Engine
	Root    string // the directory (or volume root) archives go under
	Options store.Options
	// Name is the backup name the archive is filed under; empty: BackupName of
	// Target. A tagged schedule's series and a split's parts set it.
	Name string
	// StartCopy, when set, starts the archive's off-host copy as soon as its
	// file exists (agent/offsite.go). RunBackup cancels the copy when the
	// backup fails, and hands it on in Result.Copy to be finished otherwise.
	StartCopy func(*store.Pending) EarlyCopy
}

// Result describes a committed archive.
type Result struct {
	Path string
	Meta store.Meta
	// Copy is the off-host copy Job.StartCopy started; nil when none.
	Copy EarlyCopy
}

// BackupName is the name t's archives are filed under: its baktainer.name
// label, else its container's name. It is the one place the name is derived.
func BackupName(t engines.Target) string {
	if t.Spec.Name != "" {
		return t.Spec.Name
	}
	return t.Container.Name
}

// RunBackup dumps the job's database inside its container and streams the dump into
// a new archive. The archive is committed only when the dump tool succeeded and the
// engine recognises the dump as complete; otherwise nothing is left on disk.
func RunBackup(ctx context.Context, ex engines.Execer, log *logrus.Entry, job Job) (res Result, err error) {
	t := job.Target
	log = log.WithFields(logrus.Fields{"container": t.Container.Name, "engine": job.Engine.Name()})
	if t.Spec.Password != "" {
		log.Warnf("label %s is readable by anyone who can run docker inspect; prefer %s or the container's own environment",
			labels.Password, labels.PasswordFile)
	}
	opts := job.Options
	if t.Spec.Compress != "" {
		opts.Compression = store.Compression(t.Spec.Compress)
	}
	name := job.Name
	if name == "" {
		name = BackupName(t)
	}
	pending, err := store.Create(job.Root, store.Meta{
		Name:        name,
		Container:   t.Container.Name,
		ContainerID: t.Container.ID,
		Engine:      job.Engine.Name(),
		Database:    job.Engine.Database(t),
		Image:       &store.ImageRef{Name: t.Container.Image, ID: t.Container.ImageID},
	}, job.Engine.Extension(), opts)
	if err != nil {
		return Result{}, fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	defer pending.Abort() // no-op after a successful Commit
	if job.StartCopy != nil {
		copied := job.StartCopy(pending)
		defer func() {
			if err != nil && copied != nil {
				copied.Cancel()
			}
		}()
		res.Copy = copied
	}

	var rec engines.Recorder
	counter := engines.NewCounter(job.Engine.Name(), job.Engine.Database(t)) // what a test-restore compares with
	defer counter.Abort()
	if err := job.Engine.Dump(ctx, ex, t, multiWriter{pending, &rec, counter}); err != nil {
		return Result{}, err
	}
	if err := job.Engine.CheckComplete(rec.Head(), rec.Tail()); err != nil {
		return Result{}, &IncompleteDumpError{fmt.Errorf("container %s: %s dump of %d bytes rejected: %w", t.Container.Name, job.Engine.Name(), pending.DumpSize(), err)}
	}
	contents, err := counter.Contents()
	if err != nil {
		log.WithError(err).Warn("the archive records no counts: a test-restore will compare with the dump itself")
	}
	pending.SetContents(contents)
	path, meta, err := pending.Commit()
	if err != nil {
		return Result{}, fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	log.WithFields(logrus.Fields{"archive": path, "size": meta.Size, "dump_size": meta.DumpSize,
		"seconds": meta.DumpDuration}).Info("backup complete")
	res.Path, res.Meta = path, meta
	return res, nil
}

// multiWriter writes to the archive, then to the recorder and the counter (which
// never fail).
type multiWriter struct {
	archive  *store.Pending
	recorder *engines.Recorder
	counter  *engines.Counter
}

func (m multiWriter) Write(p []byte) (int, error) {
	n, err := m.archive.Write(p)
	_, _ = m.recorder.Write(p[:n])
	_, _ = m.counter.Write(p[:n])
	return n, err
}
