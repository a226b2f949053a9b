package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// errProblems reports that verify or prune found problems it already printed.
var errProblems = errors.New("problems found")

// runVerify checks archives, or every archive under directories, and exits non-zero
// on any problem. --deep also reads each archive back and runs its engine's
// completeness check.
func runVerify(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	deep := flags.Bool("deep", false, "also decrypt and decompress each archive and check the dump is complete")
	var tr testRestoreFlags
	flags.BoolVar(&tr.restore, "restore", false, "test-restore one archive into a scratch container of its image and check what it restores")
	flags.StringVar(&tr.image, "image", "", "with --restore: the image to restore into (default: the one the archive records)")
	flags.DurationVar(&tr.timeout, "timeout", drill.DefaultTimeout, "with --restore: give up (and remove the scratch container) after this long")
	flags.StringVar(&tr.memory, "memory", "1g", "with --restore: the scratch container's memory limit")
	var ids identityFlags
	ids.register(flags)
	pos, err := parseArgs(flags, args, 1, -1)
	if err != nil {
		return err
	}
	if tr.restore {
		if len(pos) != 1 {
			return fmt.Errorf("%w: --restore test-restores one archive", errUsage)
		}
		if isS3(pos[0]) {
			return fmt.Errorf("%w: --restore test-restores a local archive; restore an off-host copy with baktainer restore %s --container NAME", errUsage, pos[0])
		}
		return runTestRestore(ctx, env, tr, ids, pos[0])
	}
	identities, err := ids.load()
	if err != nil {
		return err
	}
	v := verifier{ctx: ctx, env: env, deep: *deep, identities: identities, engines: engines.Default()}
	for _, path := range pos {
		if err := v.path(path); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "%d archive(s) checked, %d problem(s)\n", v.checked, v.problems)
	if v.problems > 0 || v.checked == 0 {
		if v.checked == 0 {
			return fmt.Errorf("no archives found in %s", strings.Join(pos, ", "))
		}
		return errProblems
	}
	return nil
}

type verifier struct {
	ctx               context.Context
	env               *runEnv
	deep              bool
	identities        []age.Identity
	engines           *engines.Registry
	checked, problems int
}

// path verifies one archive, or every file under a directory that is not a sidecar
// or a temp file: committed archives pass, anything else (say, an archive whose
// sidecars are missing) is a problem.
func (v *verifier) path(path string) error {
	if isS3(path) { // an off-host copy (s3.go)
		v.remote(path)
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		v.report(path, err)
		return nil
	}
	if !fi.IsDir() {
		v.archive(path)
		return nil
	}
	// A directory named through a link is resolved once; below it, the walk
	// follows no link (a link there is reported as a problem, not read).
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			v.report(p, err)
			return nil
		}
		base := d.Name()
		if d.IsDir() || strings.HasPrefix(base, ".") ||
			strings.HasSuffix(base, store.ChecksumExt) || strings.HasSuffix(base, store.MetaExt) {
			return nil
		}
		v.archive(p)
		return v.ctx.Err()
	})
}

func (v *verifier) archive(path string) {
	v.checked++
	if !v.deep {
		meta, err := store.Verify(v.ctx, path)
		if err != nil {
			v.report(path, err)
			return
		}
		fmt.Fprintf(v.env.stdout, "OK    %s (sha256 %s)\n", path, short(meta.SHA256))
		return
	}
	var rec engines.Recorder
	meta, err := store.VerifyDeep(v.ctx, path, &rec, v.identities...)
	if err != nil {
		v.report(path, err)
		return
	}
	note := "no engine recorded: stream checked, completeness not"
	if meta.Engine != "" {
		eng, err := v.engines.Lookup(meta.Engine)
		if err != nil {
			v.report(path, fmt.Errorf("engine %q of its metadata: %w", meta.Engine, err))
			return
		}
		if err := eng.CheckComplete(rec.Head(), rec.Tail()); err != nil {
			v.report(path, fmt.Errorf("%s dump of %d bytes is not complete: %w", meta.Engine, rec.Len(), err))
			return
		}
		note = meta.Engine + " dump complete"
	}
	fmt.Fprintf(v.env.stdout, "OK    %s (sha256 %s, %d dump bytes read back, %s)\n", path, short(meta.SHA256), rec.Len(), note)
}

func (v *verifier) report(path string, err error) {
	v.problems++
	fmt.Fprintf(v.env.stdout, "FAIL  %s: %v\n", path, err)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
