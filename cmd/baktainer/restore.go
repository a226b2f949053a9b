package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// restoreFlags are restore's flags.
type restoreFlags struct {
	container string
	force     bool
	database  string
	keys      identityFlags
}

// runRestore streams an archive back into a running container through the engine's
// own client. The archive is verified before a byte is restored and again as it
// streams, from the same open file: a file changed in between makes the stream fail
// before its end and the engine's restore stop (Postgres: roll back). A Ruby-era
// archive is authenticated whole first. It refuses a target that already holds
// data unless --force, shows progress, and ends with what was restored.
func runRestore(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var f restoreFlags
	fs.StringVar(&f.container, "container", "", "the container to restore into (required)")
	fs.BoolVar(&f.force, "force", false, "restore even into a database that already holds tables or keys")
	fs.StringVar(&f.database, "db", "", "restore only this database of a dump of every database, or restore a one-database dump into this database (Postgres, MySQL/MariaDB; SQLite: the file's path)")
	f.keys.register(fs)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if f.container == "" {
		return fmt.Errorf("%w: --container is required", errUsage)
	}
	identities, err := f.keys.load()
	if err != nil {
		return err
	}
	archive := pos[0]
	var src *drill.Source
	if isS3(archive) { // an off-host copy, streamed from its bucket (s3.go)
		src, err = openRemoteSource(ctx, env, archive, identities)
	} else {
		src, err = drill.Open(ctx, archive, drill.Keys{Identities: identities, Legacy: legacyKeys(env, archive)})
	}
	if err != nil {
		return fmt.Errorf("refusing to restore %s: %w", archive, err)
	}
	defer src.Dump.Close()
	dc, err := env.connectDocker(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	job, err := prepareRestore(ctx, dc, src, f)
	if err != nil {
		return err
	}
	defer job.close()
	if err := job.refuseNonEmpty(ctx, dc, f.force); err != nil {
		if !f.force {
			return err
		}
		env.log.WithError(err).Warn("--force: restoring without knowing what the target holds")
	}
	return job.run(ctx, env, dc)
}

// restoreJob is one restore, resolved.
type restoreJob struct {
	src    *drill.Source
	eng    engines.Engine
	in     engines.Inspector
	target engines.Target
	dump   io.Reader
	close  func()
	what   string // "database app", "every database", for messages
}

// prepareRestore resolves the engine, the target container and what of the dump
// goes where.
func prepareRestore(ctx context.Context, dc *docker.Client, src *drill.Source, f restoreFlags) (*restoreJob, error) {
	reg := engines.Default()
	eng, err := reg.Lookup(src.Engine)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", src.Kind, src.Path, err)
	}
	in, err := reg.Inspector(src.Engine)
	if err != nil {
		return nil, err
	}
	c, err := dc.Inspect(ctx, f.container)
	if err != nil {
		return nil, err
	}
	// The target may be a fresh container without baktainer labels; labels it does
	// have (credentials, database) still apply.
	spec, err := labels.Parse(c.Labels)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	job := &restoreJob{src: src, eng: eng, in: in, dump: src.Dump, close: func() {}}
	if err := job.choose(&spec, f.database); err != nil {
		return nil, err
	}
	job.target = engines.Target{Container: c, Spec: spec}
	if job.what == "" {
		job.what = "database " + eng.Database(job.target)
	}
	return job, nil
}

// choose decides what of the dump is restored, and into which database.
func (j *restoreJob) choose(spec *labels.Spec, db string) error {
	all := j.src.Database == "all"
	switch {
	case all && db == "":
		spec.All, spec.Database, j.what = true, "", "every database of the dump"
	case all:
		selected, err := j.in.SelectDatabase(j.dump, db)
		if err != nil {
			return fmt.Errorf("--db %s: %w", db, err)
		}
		j.dump, j.close = selected, func() { _ = selected.Close() }
		spec.All, spec.Database, j.what = false, db, "database "+db+" of the dump of every database"
	case db != "":
		if j.eng.Name() == "redis" || j.eng.Name() == "mongodb" {
			return fmt.Errorf("%w: --db: a %s restore loads the whole dump", errUsage, j.eng.Name())
		}
		spec.All, spec.Database, j.what = false, db, "the dump of "+j.src.Database+" into database "+db
	default:
		if spec.Database == "" && j.eng.Name() == "sqlite" {
			spec.Database = j.src.Database // the file it was backed up from
		}
		spec.All = false
	}
	return nil
}

// refuseNonEmpty looks at what the target holds where the restore would write,
// and refuses unless it is empty or force is set.
func (j *restoreJob) refuseNonEmpty(ctx context.Context, dc *docker.Client, force bool) error {
	found, err := j.in.Survey(ctx, dc, j.target, nil, false)
	if err != nil {
		return fmt.Errorf("container %s: look at what it holds before restoring (--force restores without looking): %w", j.target.Container.Name, err)
	}
	held := describeHeld(found)
	if held == "" || force {
		return nil
	}
	effect := "replaces what the dump holds and leaves the rest mixed in"
	switch j.eng.Name() {
	case "sqlite", "redis": // the database file, or the whole dataset, is replaced
		effect = "replaces all of it"
	}
	return fmt.Errorf("refusing to restore %s into container %s, which already holds data: %s. "+
		"A restore %s; restore into an empty database, or add --force",
		j.what, j.target.Container.Name, held, effect)
}

// describeHeld says what a survey found; "" for nothing.
func describeHeld(c *store.Contents) string {
	var parts []string
	for _, d := range c.Databases {
		switch {
		case d.Keys > 0:
			parts = append(parts, fmt.Sprintf("database %s has %d keys", d.Name, d.Keys))
		case len(d.Tables) > 0:
			var names []string
			for i, t := range d.Tables {
				if i == 5 {
					names = append(names, fmt.Sprintf("and %d more", len(d.Tables)-5))
					break
				}
				names = append(names, engines.TableName("", t))
			}
			parts = append(parts, fmt.Sprintf("database %s has %d tables (%s)", d.Name, len(d.Tables), strings.Join(names, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// run restores, with progress, then prints the summary.
func (j *restoreJob) run(ctx context.Context, env *runEnv, dc *docker.Client) error {
	name := j.target.Container.Name
	counter := j.in.NewCounter(j.eng.Database(j.target))
	// A failed read ends the tool's run: without the cancel, a tool waiting for
	// more input would wait for good.
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	prog := newProgress(env, j.src.DumpSize)
	src := &cancelOnError{r: io.TeeReader(prog.reader(j.dump), counter), cancel: cancel}
	var err error
	if j.src.Kind == drill.KindArchive {
		err = j.eng.Restore(rctx, dc, j.target, src)
	} else { // a Ruby-era dump: SQLite's .dump text needs building into a file first
		err = legacy.Restore(rctx, dc, j.eng, j.target, src)
	}
	prog.done()
	if err != nil {
		counter.Abort()
		if src.err != nil && !errors.Is(err, src.err) {
			return fmt.Errorf("restore of %s into %s aborted: %w (then: %v)", j.src.Path, name, src.err, err)
		}
		return fmt.Errorf("restore of %s into %s: %w", j.src.Path, name, err)
	}
	streamed, countErr := counter.Contents()
	env.log.WithFields(map[string]any{"archive": j.src.Path, "container": name}).Info("restore complete")
	j.summary(ctx, env, dc, streamed, countErr)
	return nil
}

// summary prints what was restored: per table, the rows the dump held and the
// rows there now.
func (j *restoreJob) summary(ctx context.Context, env *runEnv, dc *docker.Client, streamed *store.Contents, countErr error) {
	w := env.stdout
	fmt.Fprintf(w, "restored %s from %s into container %s\n", j.what, j.src.Path, j.target.Container.Name)
	if countErr != nil || streamed == nil {
		fmt.Fprintf(w, "  (the dump's contents could not be counted: %v)\n", countErr)
		return
	}
	if !j.target.Spec.All && len(streamed.Databases) == 1 { // a one-database dump, restored under the target's name
		streamed.Databases[0].Name = j.eng.Database(j.target)
	}
	now, err := j.in.Survey(ctx, dc, j.target, streamed, true)
	if err != nil {
		fmt.Fprintf(w, "  (could not count what is there now: %v)\n", err)
		return
	}
	for _, d := range streamed.Databases {
		got, _ := now.Database(d.Name)
		if d.Keys > 0 || got.Keys > 0 {
			fmt.Fprintf(w, "  database %s: %d keys in the dump, %d there now\n", d.Name, d.Keys, got.Keys)
			continue
		}
		fmt.Fprintf(w, "  database %s: %d tables, %d rows\n", d.Name, len(d.Tables), d.Rows())
	}
	problems := 0
	for _, c := range engines.CompareContents(streamed, now) {
		if c.Err != nil {
			problems++
			fmt.Fprintf(w, "  WARNING %s: %v\n", c.Name, c.Err)
		}
	}
	if problems == 0 {
		fmt.Fprintf(w, "  every table holds the rows the dump held\n")
	}
}

// cancelOnError cancels the restore's context when reading the archive fails.
type cancelOnError struct {
	r      io.Reader
	cancel context.CancelCauseFunc
	err    error
}

func (c *cancelOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
		c.cancel(err)
	}
	return n, err
}
