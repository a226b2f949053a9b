//go:build integration

package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// neverReadyArchive packs a real pg_dump dump as a Postgres archive that records
// an image whose server never answers (the SQLite test image runs no Postgres):
// its test-restore waits until its deadline.
func neverReadyArchive(t *testing.T) string {
	t.Helper()
	return neverReadyArchiveOf(t, t.TempDir(), "never-ready-"+rig.RunID())
}

// neverReadyArchiveOf is neverReadyArchive named name under root.
func neverReadyArchiveOf(t *testing.T, root, name string) string {
	t.Helper()
	dump, err := os.ReadFile("../engines/testdata/pg-one.sql")
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Create(root, store.Meta{Name: name, Engine: "postgres", Database: "app",
		Image: &store.ImageRef{Name: rig.SQLiteImage}}, "sql", store.Options{Compression: store.Zstd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(dump); err != nil {
		t.Fatal(err)
	}
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRestoreDrillTimeout: a test-restore that runs out of time fails, naming the
// step, and removes its scratch container.
func TestRestoreDrillTimeout(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	began := time.Now()
	rep, err := restoreDrill(t, dc, neverReadyArchive(t), drill.Options{Timeout: 6 * time.Second})
	wantFailedCheck(t, rep, err, "server ready")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the error does not say the time ran out: %v", err)
	}
	if took := time.Since(began); took > time.Minute {
		t.Errorf("a 6 s test-restore took %s", took)
	}
}

// TestRestoreDrillSIGKILL: the verify process is killed while its scratch
// container runs; the container stays (nothing ran to remove it) until a sweep
// finds it by its label: not before its deadline, at once after it. Not parallel:
// its sweep "after the deadline" would take other tests' scratch containers too.
func TestRestoreDrillSIGKILL(t *testing.T) {
	dc := rig.Docker(t)
	archive := neverReadyArchive(t)
	cmd := exec.Command(storeBinary(t), "verify", "--restore", archive, "--timeout", "90s")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	host := &drill.DockerHost{Client: dc}
	leftover := waitScratch(t, dc, filepath.Base(archive))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	time.Sleep(time.Second)
	if !scratchExists(t, dc, leftover.ID) {
		t.Fatal("the scratch container went away without a sweep: the test proves nothing")
	}
	volumes := scratchVolumes(t, dc, leftover.ID)
	removed, err := drill.Sweep(context.Background(), host, "", time.Now())
	if err != nil || contains(removed, leftover.Name) || !scratchExists(t, dc, leftover.ID) {
		t.Fatalf("a sweep before the deadline removed %v (err %v): it would remove a test-restore in progress", removed, err)
	}
	removed, err = drill.Sweep(context.Background(), host, "", time.Now().Add(5*time.Minute))
	if err != nil || !contains(removed, leftover.Name) {
		t.Fatalf("a sweep after the deadline removed %v (err %v), not %s", removed, err, leftover.Name)
	}
	if scratchExists(t, dc, leftover.ID) {
		t.Fatal("the swept scratch container is still there")
	}
	for _, v := range volumes {
		if _, err := dc.API().VolumeInspect(context.Background(), v, client.VolumeInspectOptions{}); !errdefs.IsNotFound(err) {
			t.Errorf("the swept container's volume %s is still there", v)
		}
	}
	t.Logf("swept %s (labels %v) and its volumes %v", leftover.Name, leftover.Labels, volumes)
}

// waitScratch waits for the running scratch container of the archive named base.
func waitScratch(t *testing.T, dc *docker.Client, base string) drill.Leftover {
	t.Helper()
	host := &drill.DockerHost{Client: dc}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		found, err := host.ListScratch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range found {
			if c.Labels[drill.LabelArchive] == base {
				if _, _, running, err := host.Isolation(context.Background(), c.ID); err == nil && running {
					return c
				}
			}
		}
	}
	t.Fatalf("no scratch container for %s appeared", base)
	return drill.Leftover{}
}

func scratchExists(t *testing.T, dc *docker.Client, id string) bool {
	t.Helper()
	_, err := dc.API().ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil && !errdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func scratchVolumes(t *testing.T, dc *docker.Client, id string) []string {
	t.Helper()
	res, err := dc.API().ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range res.Container.Mounts {
		if m.Type == "volume" {
			names = append(names, m.Name)
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimPrefix(x, "/") == strings.TrimPrefix(s, "/") {
			return true
		}
	}
	return false
}
