package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/go-plugins-helpers/volume"
	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/store"
)

// plantFIFO makes an archive in the volume's directory whose metadata sidecar
// is a FIFO, as a container allowed to write into the volume could (issue 11.2).
func plantFIFO(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "shop", "2025-01-01")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "shop-20250101T000000Z.sql.zst")
	for _, p := range []string{archive, archive + ".sha256"} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fifo := archive + ".json"
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return fifo
}

// waitForReaderOrDone holds the FIFO's write end once something opened it for
// reading (a walk now stuck in read, until the write end closes), or returns
// once done is closed (nothing read it: a store that skips FIFOs). It returns
// a function that closes the write end.
func waitForReaderOrDone(t *testing.T, fifo string, done <-chan struct{}) (release func()) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			return func() { _ = unix.Close(fd) }
		}
		select {
		case <-done:
			return func() {}
		default:
		}
	}
	t.Fatal("nothing read the FIFO, and the removal did not end")
	return nil
}

// A FIFO named like a sidecar stalls the removal of its own volume at most: the
// archives of a volume are looked for without the volumes lock, so requests for
// every other volume go on meanwhile (the deadline below only guards against a
// hang); the volume being removed refuses new mounts and backups.
func TestFIFOInAVolumeDoesNotBlockOtherVolumes(t *testing.T) {
	r := newRig(t)
	for _, name := range []string{"trap", "other", "gone"} {
		r.ok("Create", volume.CreateRequest{Name: name}, nil)
	}
	fifo := plantFIFO(t, r.vols.Root("trap"))

	removed := make(chan struct{})
	var removeErr error
	go func() {
		defer close(removed)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		removeErr = r.vols.Remove(ctx, "trap")
	}()
	release := waitForReaderOrDone(t, fifo, removed)
	defer release()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.vols.Create(ctx, "new", nil); err != nil {
		t.Errorf("Create of another volume while a walk is stuck: %v", err)
	}
	if _, err := r.vols.Mount(ctx, "other", "c1"); err != nil {
		t.Errorf("Mount of another volume while a walk is stuck: %v", err)
	}
	if err := r.vols.Remove(ctx, "gone"); err != nil {
		t.Errorf("Remove of another volume while a walk is stuck: %v", err)
	}
	if _, err := r.vols.List(ctx); err != nil {
		t.Errorf("List while a walk is stuck: %v", err)
	}
	select {
	case <-removed:
	default: // still walking: the volume is being removed
		if _, err := r.vols.Mount(ctx, "trap", "c2"); !errors.Is(err, ErrInUse) {
			t.Errorf("Mount of the volume being removed: %v", err)
		}
		if _, _, err := r.vols.Hold(ctx, "trap"); !errors.Is(err, ErrInUse) {
			t.Errorf("Hold of the volume being removed: %v", err)
		}
	}
	release()
	<-removed
	// Whatever the store made of the FIFO, the volume is either gone or intact,
	// and usable again.
	if _, err := r.vols.Get(ctx, "trap"); err == nil {
		if removeErr == nil {
			t.Fatal("Remove succeeded, yet the volume is still there")
		}
		if _, err := r.vols.Mount(ctx, "trap", "c3"); err != nil {
			t.Errorf("Mount after a failed removal: %v", err)
		}
	}
}

// A removal whose walk outlives the request's deadline gives up, leaving the
// volume as it was and usable (or, with a store that skips FIFOs, simply works).
func TestRemovalGivesUpAtTheDeadline(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "trap"}, nil)
	fifo := plantFIFO(t, r.vols.Root("trap"))
	t.Cleanup(func() { // frees a walk still stuck opening the FIFO
		if fd, err := unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK, 0); err == nil {
			_ = unix.Close(fd)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := r.vols.Remove(ctx, "trap")
	after, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	switch {
	case err == nil:
		if _, err := r.vols.Get(after, "trap"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Remove succeeded, yet Get says %v", err)
		}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, new(*store.ProblemsError)):
		// Gave up, or refused to delete what the store cannot account for (the
		// FIFO named like a sidecar): either way the volume is intact and usable.
		if _, err := r.vols.Mount(after, "trap", "c1"); err != nil {
			t.Fatalf("Mount after a removal gave up: %v", err)
		}
	default:
		t.Fatalf("Remove with a FIFO sidecar: %v", err)
	}
}
