package rig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// The Swarm tests' images (scripts/build-dind-image.sh): a node, and what
// docker:cli is to users (the docker CLI and sh; docker:cli cannot be pulled here).
const (
	DindImage      = "baktainer-test/dind:latest"
	DockerCLIImage = "baktainer-test/docker-cli:latest"
)

// Swarm is a Docker Swarm of several Docker-in-Docker nodes on this machine
// (scripts/swarm-nodes.sh): node 1 is the manager, the others workers. Each node
// has its own dockerd, data root and address; the test reaches a node's Docker
// API through a unix socket on the host. Nodes are numbered from 1.
type Swarm struct {
	t     testing.TB
	nodes int
}

// StartSwarm brings up a swarm of n nodes (removing what an interrupted run
// left), loads DockerCLIImage into every node for jobs such as the rollout's,
// and tears everything down when the test ends. Bring-up is long
// (seconds per node, more for image loads): callers hold the Docker lock.
func StartSwarm(t testing.TB, n int) *Swarm {
	t.Helper()
	s := &Swarm{t: t, nodes: n}
	start := time.Now()
	Script(t, nil, "swarm-nodes.sh", "down")
	t.Cleanup(func() {
		if os.Getenv("BT_SWARM_KEEP") != "" {
			t.Logf("BT_SWARM_KEEP is set: the swarm stays up (scripts/swarm-nodes.sh down removes it)")
			return
		}
		Script(t, nil, "swarm-nodes.sh", "down")
	})
	Script(t, nil, "swarm-nodes.sh", "up", strconv.Itoa(n))
	t.Logf("swarm of %d nodes up in %s", n, time.Since(start).Round(100*time.Millisecond))
	s.Load(0, DockerCLIImage)
	return s
}

// Up runs scripts/swarm-nodes.sh up again: a destroyed node comes back with an
// empty data root and joins the swarm again (its Down entry removed); nodes
// that run are left as they are.
func (s *Swarm) Up() {
	s.t.Helper()
	start := time.Now()
	Script(s.t, nil, "swarm-nodes.sh", "up", strconv.Itoa(s.nodes))
	s.t.Logf("swarm-nodes.sh up %d again in %s", s.nodes, time.Since(start).Round(100*time.Millisecond))
}

// Nodes is how many nodes the swarm was started with.
func (s *Swarm) Nodes() int { return s.nodes }

// nodeInfo asks scripts/swarm-nodes.sh for one of a node's facts (host, ip...).
func (s *Swarm) nodeInfo(what string, n int) string {
	s.t.Helper()
	return strings.TrimSpace(Script(s.t, nil, "swarm-nodes.sh", what, strconv.Itoa(n)))
}

// NodeHost is node n's DOCKER_HOST, a unix socket on this machine.
func (s *Swarm) NodeHost(n int) string { return s.nodeInfo("host", n) }

// NodeHostname is node n's hostname: its name in `docker node ls` and in
// placement constraints (node.hostname==...).
func (s *Swarm) NodeHostname(n int) string { return s.nodeInfo("hostname", n) }

// NodeIP is node n's address on the swarm's network, which this machine
// reaches directly (a plugin's HTTP server bound to 0.0.0.0 in the node, say).
func (s *Swarm) NodeIP(n int) string { return s.nodeInfo("ip", n) }

// NodeData is the host directory node n sees as /var/lib/baktainer, the
// plugin's default data.source: the test reads a node's archives there.
func (s *Swarm) NodeData(n int) string { return s.nodeInfo("data", n) }

// Gateway is this machine's address on the swarm's network: a server that
// listens there is reachable from every node.
func (s *Swarm) Gateway() string {
	s.t.Helper()
	return strings.TrimSpace(Script(s.t, nil, "swarm-nodes.sh", "gateway"))
}

// Manager is the manager's DOCKER_HOST: services, stacks and `docker node` go there.
func (s *Swarm) Manager() string { return s.NodeHost(1) }

// Docker runs the docker CLI against node n and returns its standard output,
// failing the test when it fails.
func (s *Swarm) Docker(n int, args ...string) string {
	s.t.Helper()
	return DockerCLI(s.t, s.NodeHost(n), "", args...)
}

// TryDocker is Docker returning the error (with the CLI's standard error).
func (s *Swarm) TryDocker(n int, args ...string) (string, error) {
	s.t.Helper()
	return TryDockerCLI(s.NodeHost(n), "", args...)
}

// Client is an API client of node n's engine, closed when the test ends.
func (s *Swarm) Client(n int) *docker.Client {
	s.t.Helper()
	dc, err := docker.Dial(s.NodeHost(n))
	if err != nil {
		s.t.Fatalf("connect to swarm node %d: %v", n, err)
	}
	s.t.Cleanup(func() { _ = dc.Close() })
	return dc
}

// Load copies images from the main daemon into node n, or into every node
// when n is 0 (skipped where the node has the same image ID already).
func (s *Swarm) Load(n int, images ...string) {
	s.t.Helper()
	target := "all"
	if n > 0 {
		target = strconv.Itoa(n)
	}
	start := time.Now()
	Script(s.t, nil, "swarm-nodes.sh", append([]string{"load", target}, images...)...)
	s.t.Logf("loaded %v into node(s) %s in %s", images, target, time.Since(start).Round(100*time.Millisecond))
}

// DestroyNode removes node n's container, data root and socket, as if its host
// were lost: its containers, volumes and archives are gone, and the manager
// sees the node Down. Node 1, the only manager, cannot be destroyed.
func (s *Swarm) DestroyNode(n int) {
	s.t.Helper()
	Script(s.t, nil, "swarm-nodes.sh", "destroy", strconv.Itoa(n))
}

// NodeStatus is node n's status as the manager sees it (Ready, Down...).
func (s *Swarm) NodeStatus(n int) string {
	s.t.Helper()
	hostname := s.NodeHostname(n)
	for _, line := range strings.Split(s.Docker(1, "node", "ls", "--format", "{{.Hostname}} {{.Status}}"), "\n") {
		if status, ok := strings.CutPrefix(line, hostname+" "); ok {
			return status
		}
	}
	return ""
}

// WaitNodeStatus waits until the manager sees node n with status want.
func (s *Swarm) WaitNodeStatus(n int, want string, timeout time.Duration) {
	s.t.Helper()
	var got string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if got = s.NodeStatus(n); got == want {
			return
		}
	}
	s.t.Fatalf("node %d is %q after %s, want %q:\n%s", n, got, timeout, want, s.Docker(1, "node", "ls"))
}

// RunOnNode runs a shell script in a throwaway container of image (loaded
// into node n) on node n, with the given -v mounts and no network, and returns
// its output. args are the script's $1...
func (s *Swarm) RunOnNode(n int, image string, mounts []string, script string, args ...string) (string, error) {
	s.t.Helper()
	argv := []string{"run", "--rm", "--network", "none", "--entrypoint", "sh"}
	for _, m := range mounts {
		argv = append(argv, "-v", m)
	}
	argv = append(argv, image, "-c", script, "sh")
	argv = append(argv, args...)
	cmd := exec.Command("docker", append([]string{"-H", s.NodeHost(n)}, argv...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ServiceTaskContainer waits until service has a running task on node n and
// returns that task's container name on the node.
func (s *Swarm) ServiceTaskContainer(n int, service string, timeout time.Duration) string {
	s.t.Helper()
	hostname := s.NodeHostname(n)
	var tasks string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		tasks = s.Docker(1, "service", "ps", "--no-trunc", "--format", "{{.Name}}.{{.ID}} {{.Node}} {{.CurrentState}} {{.Error}}", service)
		for _, line := range strings.Split(tasks, "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[1] == hostname && f[2] == "Running" {
				return f[0]
			}
		}
	}
	s.t.Fatalf("service %s has no running task on node %d after %s:\n%s", service, n, timeout, tasks)
	return ""
}

// NodeLog is the tail of node n's dockerd log (a managed plugin's output is in
// it, prefixed plugin=ID), for failure messages.
func (s *Swarm) NodeLog(n int, grep string) string {
	out, _ := exec.Command("sh", "-c", fmt.Sprintf("docker logs %s 2>&1 | grep -F -- %q | tail -n 40",
		s.NodeHostname(n), grep)).Output()
	return string(out)
}

// Registry starts a local registry for the test (Registry) and makes it
// reachable from every node; it returns the address nodes push to and pull
// from (on the gateway: the nodes take plain HTTP from the swarm's subnet).
func (s *Swarm) Registry() string {
	s.t.Helper()
	return s.Expose(Registry(s.t))
}

// PushPlugin builds the plugin on node 1 (make plugin-push, VERSION=version)
// and pushes it to ref in a registry the nodes reach, then removes the local
// build, so that node 1 installs from the registry like the others (an engine
// refuses to install a plugin whose rootfs blob it has already).
func (s *Swarm) PushPlugin(ref, version string) {
	s.t.Helper()
	cmd := exec.Command("make", "-s", "plugin-push", "PLUGIN="+ref, "VERSION="+version)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+s.NodeHost(1))
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("make plugin-push PLUGIN=%s on node 1: %v\n%s", ref, err, out)
	}
	s.Docker(1, "plugin", "rm", "-f", ref)
}

// Rollout runs scripts/swarm-rollout.sh on the manager with DockerCLIImage as
// the job's image and returns its output, failing the test when it fails.
func (s *Swarm) Rollout(ref string, settings ...string) string {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "swarm-rollout.sh"), append([]string{ref}, settings...)...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+s.Manager(), "BT_ROLLOUT_IMAGE="+DockerCLIImage, "BT_ROLLOUT_TIMEOUT=300")
	out, err := cmd.CombinedOutput()
	s.t.Logf("swarm-rollout.sh %s: %v\n%s", ref, err, out)
	if err != nil {
		s.t.Fatalf("swarm-rollout.sh %s: %v", ref, err)
	}
	return string(out)
}
