package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// rubyArchives are the Ruby Baktainer's archives under a directory, by the name
// retention counts them under (legacy.Archive.BackupName).
type rubyArchives map[string][]legacy.Archive

// findRuby finds the Ruby-era archives under dir, grouped by name; what is no
// usable archive in its day directories is reported (and counted as a problem).
func (p *pruner) findRuby(ctx context.Context) error {
	archives, problems, err := legacy.Find(ctx, p.dir)
	if err != nil {
		return err
	}
	p.ruby = rubyArchives{}
	for _, a := range archives {
		p.ruby[a.BackupName()] = append(p.ruby[a.BackupName()], a)
	}
	for _, pr := range rubyStoreProblems(problems) {
		p.problems++
		fmt.Fprintf(p.env.stderr, "warning: not counted, left alone: %v\n", pr.Err)
	}
	return nil
}

// pruneRuby applies the policy to name's Ruby-era archives, counted with the
// store's archives of the name (legacy.PlanRetention), before the store prunes its
// own: what it removes is gone when the store measures free space. It returns the
// archives Migrate copied, whose fate follows their copy's (see followTwins).
func (p *pruner) pruneRuby(ctx context.Context, name string) ([]legacy.RetentionDecision, error) {
	ruby := p.ruby[name]
	if len(ruby) == 0 {
		return nil, nil
	}
	current, free, err := p.counted(ctx, name)
	if err != nil {
		return nil, err
	}
	decisions, err := legacy.PlanRetention(ctx, ruby, current, p.policy, p.now, free, legacy.Verifiers{
		Store: func(ctx context.Context, a store.Archive) bool {
			_, err := store.Verify(ctx, a.Path)
			return err == nil
		},
		Ruby: func(ctx context.Context, a legacy.Archive) bool {
			_, err := legacy.Verify(ctx, a, p.keys, io.Discard)
			return err == nil
		},
	})
	if err != nil {
		return nil, err
	}
	var twins []legacy.RetentionDecision
	for _, d := range decisions {
		if d.Twin != "" {
			twins = append(twins, d)
			continue
		}
		if err := p.decideRuby(d.Archive, d.Keep, d.Reason); err != nil {
			return nil, err
		}
	}
	return twins, nil
}

// counted returns the store's archives of name, which the Ruby-era ones count
// with, and the free space of the directory when the policy needs it.
func (p *pruner) counted(ctx context.Context, name string) ([]store.Archive, uint64, error) {
	listing, err := store.Scan(ctx, p.dir)
	if err != nil {
		return nil, 0, err
	}
	var current []store.Archive
	for _, a := range listing.Archives {
		if a.Meta.Name == name {
			current = append(current, a)
		}
	}
	if p.policy.MinFreeBytes == 0 {
		return current, 0, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(p.dir, &st); err != nil {
		return nil, 0, fmt.Errorf("free space of %s: %w", p.dir, err)
	}
	return current, st.Bavail * uint64(st.Bsize), nil
}

// followTwins removes the Ruby-era archives whose migrated copy the store's
// retention removed, and keeps the others.
func (p *pruner) followTwins(twins []legacy.RetentionDecision, copies []store.Decision) error {
	for _, t := range twins {
		keep, reason := true, t.Reason
		for _, c := range copies {
			if c.Archive.Path == t.Twin && !c.Keep {
				keep, reason = false, "its migrated copy "+t.Twin+" goes: "+c.Reason
			}
		}
		if err := p.decideRuby(t.Archive, keep, reason); err != nil {
			return err
		}
	}
	return nil
}

// decideRuby prints the decision about a Ruby-era archive and carries it out: only
// legacy.Remove deletes one (the archive, then its .meta), and then its day
// directory if that leaves it empty.
func (p *pruner) decideRuby(a legacy.Archive, keep bool, reason string) error {
	verb := "keep  "
	if !keep {
		verb = "remove"
		if p.dryRun {
			verb = "would remove"
		} else {
			if err := legacy.Remove(a); err != nil {
				return err
			}
			_ = os.Remove(filepath.Dir(a.Path)) // only when empty
		}
		p.removed++
	}
	fmt.Fprintf(p.env.stdout, "%s %s: %s (Ruby-era)\n", verb, a.Path, reason)
	return nil
}
