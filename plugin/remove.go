package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/baktainer/baktainer/store"
)

// Remove deletes a volume and its content. It refuses (ErrInUse) while a
// container has it mounted or a backup writes to it, and (ErrHasArchives) while
// it holds archives, unless it was created with remove-archives=true.
//
// The volumes lock is never held across the volume's content: a container that
// may write into the volume could plant a FIFO named like a sidecar there, and a
// walk that opens it would wait for ever. The volume is marked as being removed
// under the lock (no mount, backup or option change starts meanwhile), its
// archives are looked for and its content deleted without it, bounded by ctx,
// and its record goes under the lock again.
func (v *Volumes) Remove(ctx context.Context, name string) error {
	x, err := v.startRemoval(ctx, name)
	if err != nil {
		return err
	}
	err = v.removeContent(ctx, name, x.opts.RemoveArchives)
	return v.finishRemoval(ctx, name, x, err)
}

func (v *Volumes) startRemoval(ctx context.Context, name string) (*vol, error) {
	release, err := v.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	x, err := v.usable(name)
	if err != nil {
		return nil, err
	}
	switch {
	case len(x.rec.Mounts) > 0:
		return nil, fmt.Errorf("volume %s is mounted by %d container mount(s): %w", name, len(x.rec.Mounts), ErrInUse)
	case x.holds > 0:
		return nil, fmt.Errorf("volume %s: a backup is being written to it: %w", name, ErrInUse)
	}
	x.removing = true
	return x, nil
}

// removeContent runs without the lock. Content goes first, the record last (in
// finishRemoval): an interrupted removal leaves the volume listed, so the user
// can simply try again.
func (v *Volumes) removeContent(ctx context.Context, name string, removeArchives bool) error {
	root := v.Root(name)
	if !removeArchives {
		archives, err := listArchives(ctx, root)
		if err != nil {
			return fmt.Errorf("volume %s: looking for archives before removing it: %w", name, err)
		}
		if len(archives) > 0 {
			return fmt.Errorf("volume %s holds %d archive(s) (e.g. %s); delete them first, or create the volume with -o %s=true: %w",
				name, len(archives), relative(root, archives[len(archives)-1].Path), OptRemoveArchives, ErrHasArchives)
		}
	}
	if err := os.RemoveAll(root); err != nil { // unlinks without opening: a FIFO cannot stop it
		return fmt.Errorf("volume %s: %w", name, err)
	}
	return nil
}

// finishRemoval takes the lock whatever became of ctx (it is held only for
// the record): the volume must not stay marked as being removed.
func (v *Volumes) finishRemoval(ctx context.Context, name string, x *vol, removeErr error) error {
	release, err := v.acquire(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	defer release()
	x.removing = false
	if removeErr != nil {
		return removeErr
	}
	if err := deleteRecord(v.cfg.DataDir, name); err != nil {
		return err
	}
	delete(v.vols, name)
	v.updateRoster()
	return nil
}

// listArchives is store.List bounded by ctx. A walk stuck in the filesystem
// (a FIFO the store opened) is left behind, blocked until something opens the
// FIFO's other end; the caller goes on.
func listArchives(ctx context.Context, root string) ([]store.Archive, error) {
	type listed struct {
		archives []store.Archive
		err      error
	}
	done := make(chan listed, 1)
	go func() {
		archives, err := store.List(ctx, root)
		done <- listed{archives, err}
	}()
	select {
	case l := <-done:
		return l.archives, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func relative(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil {
		return rel
	}
	return path
}
