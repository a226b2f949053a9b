//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// The helpers of the control tests (issue #14: hooks, stop groups, dump options,
// database selection, schedules).

// ctlRunNow queues a backup of container on the in-process agent and waits for
// its final outcome.
func ctlRunNow(t *testing.T, ta *testAgent, container string, timeout time.Duration) agent.Attempt {
	t.Helper()
	var att agent.Attempt
	waitUntil(t, 30*time.Second, func() string { return container + " is not a target; logs:\n" + ta.logs.String() }, func() bool {
		_, ok := ta.target(container)
		return ok
	})
	queued, err := ta.RunNow(container)
	if err != nil {
		t.Fatalf("run now %s: %v", container, err)
	}
	waitUntil(t, timeout, func() string { return "attempt " + queued.ID + " did not end; logs:\n" + ta.logs.String() }, func() bool {
		a, ok := ta.Attempt(queued.ID)
		att = a
		return ok && a.Outcome.Final()
	})
	return att
}

// ctlArchives lists the committed archives under dir, relative to it, sorted.
func ctlArchives(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range rig.ListFiles(t, dir) {
		rel, _ := filepath.Rel(dir, f)
		base := filepath.Base(f)
		if strings.HasPrefix(rel, ".state") || strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".sha256") {
			continue
		}
		out = append(out, rel)
	}
	sort.Strings(out)
	return out
}

// ctlSeries is the backup names the archives under dir are filed under.
func ctlSeries(t *testing.T, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, a := range ctlArchives(t, dir) {
		name := strings.Split(a, string(os.PathSeparator))[0]
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// ctlRunning reports whether a container runs.
func ctlRunning(t *testing.T, dc *docker.Client, name string) bool {
	t.Helper()
	c, err := dc.Inspect(context.Background(), name)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return c.Running
}

// ctlHoldTable starts a session in a Postgres container that holds an ACCESS
// EXCLUSIVE lock on table t of database db until the returned function is
// called: a pg_dump of db waits for it, so a backup stays in flight as long as
// the test needs.
func ctlHoldTable(t *testing.T, dc *docker.Client, pg, db, table string) (release func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_ = dc.Exec(ctx, docker.ExecSpec{Container: pg, Cmd: []string{"psql", "-U", "postgres", "-d", db, "-c",
			"BEGIN; LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"}})
	}()
	rig.WaitFor(t, dc, pg, 30*time.Second, "sh", "-c",
		`psql -U postgres -d `+db+` -Atc "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = '`+table+`'::regclass" | grep -qx 1`)
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		cancel()
		rig.Psql(t, dc, pg, "postgres", "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid();")
	}
	t.Cleanup(release)
	return release
}

// ctlWaitForProcess waits until a process whose command line starts with argv0
// runs in the container, and returns its command line (NULs as spaces): what
// the container sees of a command baktainer runs in it.
func ctlWaitForProcess(t *testing.T, dc *docker.Client, container, argv0 string) string {
	t.Helper()
	var found string
	waitUntil(t, 60*time.Second, func() string { return "no " + argv0 + " process in " + container }, func() bool {
		out, err := rig.TryExec(dc, container, nil, nil, "sh", "-c",
			`for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' < "$f" 2>/dev/null; echo; done`)
		if err != nil {
			return false
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, argv0+" ") {
				found = strings.TrimSpace(line)
				return true
			}
		}
		return false
	})
	return found
}

// ctlStart creates and starts a container under exactly name (a label of
// another container names it), with no network, removed when the test ends.
func ctlStart(t *testing.T, dc *docker.Client, name string, spec rig.ContainerSpec) string {
	t.Helper()
	ctx := context.Background()
	created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       name,
		Config:     &container.Config{Image: spec.Image, Env: spec.Env, Labels: spec.Labels, Cmd: spec.Cmd},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	if err != nil {
		t.Fatalf("create container %s from %s: %v", name, spec.Image, err)
	}
	t.Cleanup(func() { rig.Remove(dc, name) })
	if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start container %s: %v", name, err)
	}
	return name
}

// ctlStartPostgres is ctlStart of the Postgres test image, waiting until it
// serves.
func ctlStartPostgres(t *testing.T, dc *docker.Client, name string, spec rig.ContainerSpec) string {
	t.Helper()
	spec.Image = rig.PostgresImage
	ctlStart(t, dc, name, spec)
	rig.WaitFor(t, dc, name, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	return name
}
