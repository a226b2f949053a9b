//go:build integration

package integration

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/store"
)

// scratchSeen is what the test saw of a scratch container while it ran.
type scratchSeen struct {
	mu       sync.Mutex
	id       string
	mode     string
	networks []string
	ports    int
	memory   int64
	volumes  []string
	labels   map[string]string
}

// restoreDrill test-restores archive with opts, looking at the scratch container
// while it runs (no network, no ports, a memory limit, baktainer's label), and
// fails the test unless the container and its volumes are gone afterwards.
func restoreDrill(t *testing.T, dc *docker.Client, archive string, opts drill.Options) (*drill.Report, error) {
	t.Helper()
	seen := &scratchSeen{}
	opts.Archive = archive
	opts.Inspect = func(id string) { seen.look(t, dc, id) }
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	rep, err := drill.Run(context.Background(), &drill.DockerHost{Client: dc}, opts)
	var out bytes.Buffer
	rep.Write(&out)
	t.Logf("report:\n%s", out.String())
	seen.checkGone(t, dc)
	return rep, err
}

func (s *scratchSeen) look(t *testing.T, dc *docker.Client, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id = id
	res, err := dc.API().ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Errorf("inspect the scratch container: %v", err)
		return
	}
	c := res.Container
	s.mode, s.memory, s.labels = string(c.HostConfig.NetworkMode), c.HostConfig.Memory, c.Config.Labels
	s.ports = len(c.HostConfig.PortBindings)
	for name := range c.NetworkSettings.Networks {
		s.networks = append(s.networks, name)
	}
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			s.volumes = append(s.volumes, m.Name)
		}
	}
	t.Logf("scratch container %s: network mode %q, networks %v, %d port bindings, memory %d, volumes %v",
		c.Name, s.mode, s.networks, s.ports, s.memory, s.volumes)
	if s.mode != "none" || s.ports != 0 || c.HostConfig.PublishAllPorts || s.memory == 0 || s.labels[drill.LabelScratch] != "true" {
		t.Errorf("the scratch container is not isolated as it must be: %+v", s)
	}
	for _, n := range s.networks {
		if n != "none" {
			t.Errorf("the scratch container is on network %s", n)
		}
	}
}

func (s *scratchSeen) checkGone(t *testing.T, dc *docker.Client) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id == "" {
		return
	}
	ctx := context.Background()
	if _, err := dc.API().ContainerInspect(ctx, s.id, client.ContainerInspectOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("the scratch container is still there after the test-restore (inspect: %v)", err)
	}
	for _, v := range s.volumes {
		if _, err := dc.API().VolumeInspect(ctx, v, client.VolumeInspectOptions{}); !errdefs.IsNotFound(err) {
			t.Errorf("the scratch container's volume %s is still there (inspect: %v)", v, err)
		}
	}
}

// repack writes dump as a new archive under dir with meta's name, engine,
// database, image and recorded counts: sidecars and checksum consistent, content
// whatever dump says.
func repack(t *testing.T, dir string, meta store.Meta, ext string, dump []byte) string {
	t.Helper()
	p, err := store.Create(dir, store.Meta{Name: meta.Name, Container: meta.Container, Engine: meta.Engine,
		Database: meta.Database, Image: meta.Image}, ext, store.Options{Compression: store.Zstd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(dump); err != nil {
		t.Fatal(err)
	}
	p.SetContents(meta.Contents)
	path, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(context.Background(), path); err != nil {
		t.Fatalf("the repacked archive does not verify: %v", err)
	}
	return path
}

// unpack returns an archive's dump.
func unpack(t *testing.T, archive string) []byte {
	t.Helper()
	_, r, err := store.OpenVerified(context.Background(), archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dump, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}

// wantFailedCheck fails the test unless the test-restore failed and a failed
// check's name contains name.
func wantFailedCheck(t *testing.T, rep *drill.Report, err error, name string) {
	t.Helper()
	if err == nil || rep.Passed() {
		t.Fatalf("the test-restore passed; want check %q to fail", name)
	}
	for _, c := range rep.Failed() {
		if strings.Contains(c.Name, name) {
			if !strings.Contains(err.Error(), c.Name) {
				t.Errorf("the error %q does not name the failed check %q", err, c.Name)
			}
			return
		}
	}
	t.Fatalf("no failed check named %q: %v", name, rep.Failed())
}

func writeFileT(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
