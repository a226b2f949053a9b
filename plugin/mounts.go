package plugin

import (
	"context"
	"fmt"
	"os"
	"slices"
)

// Mount makes the volume available for the engine's mount id and returns its path
// under the propagated mount. The first mount binds the volume's directory there;
// later ones (other containers) share it. Mounting again with an ID already
// mounted is not counted twice: the engine retries after a plugin restart.
//
// The bind mount is read-only unless the volume was created with consumers=rw, so
// every container sees the volume read-only: only the plugin writes archives,
// through its data mount. (`:ro` is not the driver's business: the protocol does
// not carry it; the engine makes such a container's own mount read-only itself.)
func (v *Volumes) Mount(ctx context.Context, name, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: volume %s: mount without an ID", ErrInvalid, name)
	}
	release, err := v.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	x, err := v.usable(name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(v.Root(name), 0o750); err != nil { // deleted by hand?
		return "", fmt.Errorf("volume %s: %w", name, err)
	}
	wasBound := x.bound
	if err := v.ensureBound(name, x); err != nil {
		return "", fmt.Errorf("volume %s: %w", name, err)
	}
	if !slices.Contains(x.rec.Mounts, id) {
		next := x.rec
		next.Mounts = append(slices.Clone(x.rec.Mounts), id)
		if err := saveRecord(v.cfg.DataDir, next); err != nil {
			if !wasBound && len(x.rec.Mounts) == 0 {
				_ = v.unbind(name, x)
			}
			return "", err
		}
		x.rec = next
	}
	return v.mountpoint(name), nil
}

// Unmount ends the engine's mount id of the volume; the last one removes the bind
// mount. An ID that is not mounted (a second unmount) is ErrNotMounted.
func (v *Volumes) Unmount(ctx context.Context, name, id string) error {
	release, err := v.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	x, err := v.lookup(name)
	if err != nil {
		return err
	}
	i := slices.Index(x.rec.Mounts, id)
	if i < 0 {
		return fmt.Errorf("volume %s, mount ID %q: %w", name, id, ErrNotMounted)
	}
	next := x.rec
	next.Mounts = slices.Delete(slices.Clone(x.rec.Mounts), i, i+1)
	if len(next.Mounts) == 0 && x.bound {
		if err := v.unbind(name, x); err != nil {
			return fmt.Errorf("volume %s: %w", name, err)
		}
	}
	if err := saveRecord(v.cfg.DataDir, next); err != nil {
		return err
	}
	x.rec = next
	return nil
}

// ensureBound binds the volume under the propagated mount unless it is there.
func (v *Volumes) ensureBound(name string, x *vol) error {
	if x.bound {
		return nil
	}
	target := v.mountpoint(name)
	mounted, err := v.cfg.Mounter.Mounted(target)
	if err != nil {
		return err
	}
	if !mounted {
		if err := v.cfg.Mounter.Bind(v.Root(name), target, !x.opts.ConsumersWrite); err != nil {
			return err
		}
	}
	x.bound = true
	return nil
}

func (v *Volumes) unbind(name string, x *vol) error {
	if err := v.cfg.Mounter.Unmount(v.mountpoint(name)); err != nil {
		return err
	}
	x.bound = false
	return nil
}

// Hold marks the volume as being written to by a backup until release is called:
// Remove refuses meanwhile. It returns the volume's description (its root and
// options). Calling release more than once is harmless.
func (v *Volumes) Hold(ctx context.Context, name string) (info VolumeInfo, release func(), err error) {
	unlock, err := v.acquire(ctx)
	if err != nil {
		return VolumeInfo{}, nil, err
	}
	defer unlock()
	x, err := v.usable(name)
	if err != nil {
		return VolumeInfo{}, nil, err
	}
	x.holds++
	released := false
	return v.info(x), func() {
		unlock, err := v.acquire(context.WithoutCancel(ctx))
		if err != nil {
			return
		}
		defer unlock()
		if released {
			return
		}
		released = true
		x.holds--
	}, nil
}
