package offsite

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// A sidecar swapped for a FIFO by a container that may write into the volume
// must not hang the upload (the catch-up uploads earlier archives found on the
// volume): it is refused as not a regular file, at once.
func TestUploadRefusesAFIFOSidecar(t *testing.T) {
	for _, ext := range []string{store.MetaExt, store.ChecksumExt} {
		t.Run(ext, func(t *testing.T) {
			r, _ := testRemote(t, "p")
			path := testArchive(t, "shop", time.Now().Add(-time.Hour), []byte("-- dump\n"))
			if err := os.Remove(path + ext); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(path+ext, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { _, err := r.Upload(t.Context(), path); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("upload beside a FIFO %s: %v; want it refused as not a regular file", ext, err)
				}
			case <-time.After(5 * time.Second):
				// Unblock the stuck open so the test process can end.
				if f, err := os.OpenFile(path+ext, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatalf("the upload blocked on a FIFO named like its %s sidecar", ext)
			}
		})
	}
}
