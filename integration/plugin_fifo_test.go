//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baktainer/baktainer/integration/rig"
)

// TestPluginFIFODoesNotBlockOtherVolumes: issue 11.2 with the real engine. A
// container that may write into a backup volume (consumers=rw) plants a FIFO
// named like an archive's sidecar; while `docker volume rm` of that volume is
// stuck on it, every other volume can still be mounted, created and removed
// (the plugin holds no lock across a volume's content). The deadlines only
// guard against a hang.
func TestPluginFIFODoesNotBlockOtherVolumes(t *testing.T) {
	w, _ := newLocalPlugin(t, "fifo")
	trap, other, gone := "trap-"+w.run, "other-"+w.run, "gone-"+w.run
	w.docker("volume", "create", "-d", w.alias, "-o", "consumers=rw", trap)
	w.docker("volume", "create", "-d", w.alias, other)
	w.docker("volume", "create", "-d", w.alias, gone)
	const archive = "/x/shop/2025-01-01/shop-20250101T000000Z.sql.zst"
	if out, err := w.sh([]string{trap + ":/x"}, fmt.Sprintf("mkdir -p %s && echo x > %s && echo x > %s.sha256 && mkfifo %s.json",
		filepath.Dir(archive), archive, archive, archive)); err != nil {
		t.Fatalf("plant a FIFO: %v %s", err, out)
	}
	fifo := filepath.Join(w.data, "volumes", trap, strings.TrimPrefix(archive, "/x/")+".json")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rm := exec.CommandContext(ctx, "docker", "-H", w.host, "volume", "rm", trap)
	var rmOut bytes.Buffer
	rm.Stdout, rm.Stderr = &rmOut, &rmOut
	if err := rm.Start(); err != nil {
		t.Fatal(err)
	}
	rmDone := make(chan struct{})
	go func() { _ = rm.Wait(); close(rmDone) }()
	release := holdFIFOReader(t, fifo, rmDone)
	defer release()

	for _, args := range [][]string{
		{"run", "--rm", "--network", "none", "-v", other + ":/backups", "--entrypoint", "ls", rig.PostgresImage, "/backups"},
		{"volume", "create", "-d", w.alias, "new-" + w.run},
		{"volume", "rm", gone},
	} {
		if out, err := dockerWithin(w.host, time.Minute, args...); err != nil {
			t.Errorf("docker %s while a removal is stuck on a FIFO: %v %s", strings.Join(args, " "), err, out)
		}
	}
	release()
	<-rmDone
	t.Logf("docker volume rm %s: %s", trap, strings.TrimSpace(rmOut.String()))
	w.health(http.StatusOK)
}

// holdFIFOReader waits until something opened the FIFO for reading, then holds
// its write end open (the reader stays stuck in read) until release; it returns
// early when done closes (nothing read it).
func holdFIFOReader(t *testing.T, fifo string, done <-chan struct{}) (release func()) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fd, err := unix.Open(fifo, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			closed := false
			return func() {
				if !closed {
					closed = true
					_ = unix.Close(fd)
				}
			}
		}
		select {
		case <-done:
			return func() {}
		default:
		}
	}
	t.Fatalf("nothing opened %s, and the removal did not end", fifo)
	return nil
}

// dockerWithin runs the docker CLI against host, giving up after d.
func dockerWithin(host string, d time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", append([]string{"-H", host}, args...)...).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("no answer within %s", d)
	}
	return string(out), err
}
