//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// swarmHealthPort is the plugins' HTTP port: every node has an address of its
// own, so one port serves all three.
const swarmHealthPort = 8080

// TestSwarmThreeNodes is issue 16's disaster drill, end to end on three real
// engines: three Docker-in-Docker nodes form one swarm; scripts/swarm-rollout.sh
// installs the plugin from a registry on all three, with off-host copies to a
// real S3 server on the host (its credentials in files on each node's data
// mount); the stack of docs/PLUGIN.md deploys a labelled Postgres pinned to
// node 2, where the plugin backs it up onto a backup volume and copies the
// archive to the bucket; a read-only consumer on node 2 checks the archive
// with sha256sum -c, and a restore into a fresh container gives the same rows.
// Then node 2 is destroyed (container and data root), the service is
// re-pinned to node 3, where it starts with an empty data directory, and the
// three commands of docs/OFFSITE.md (list, verify, restore s3://...) bring
// every row back there from the bucket.
func TestSwarmThreeNodes(t *testing.T) {
	run := rig.RunID()
	s := rig.StartSwarm(t, 3)
	checkNodesReady(t, s, "after bring-up")
	s.Load(2, rig.PostgresImage)
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	plugins := rolloutToEveryNode(t, s, run, swarmOffsiteSettings(t, s, s3, bucket)...)

	// The documented stack: a labelled Postgres pinned to node 2, backed up by
	// node 2's plugin onto a volume made there.
	vol := "app-db-backups-" + run
	s.Docker(2, "volume", "create", "-d", "baktainer", vol)
	service, pg := deployPinnedStack(t, s, run, vol)
	dc2 := s.Client(2)
	rig.Psql(t, dc2, pg, "postgres", "app", seedSQL)
	want := tableContents(t, dc2, pg)
	archive, copied := backupOnNode(t, s, plugins[2], pg, vol)
	checkReadOnlyConsumer(t, s, vol, archive)
	fresh := rig.StartPostgres(t, dc2, rig.ContainerSpec{Name: "swarm-restored",
		Env: []string{"POSTGRES_PASSWORD=restore-Secret-2", "POSTGRES_DB=app"}})
	restoreInto(t, s, 2, archive, fresh)
	sameTables(t, "restored on node 2", want, tableContents(t, dc2, fresh))

	// The disaster: node 2's host is lost, with the archive on its volume. Its
	// copy in the bucket is what is left.
	s.DestroyNode(2)
	if _, err := os.Stat(filepath.Dir(s.NodeData(2))); !os.IsNotExist(err) {
		t.Fatalf("node 2's data root is still there: %v", err)
	}
	s.WaitNodeStatus(2, "Down", 2*time.Minute)
	repinToNode3(t, s, service, vol, want, plugins[3], drillFromBucket(s3, bucket, copied))

	// The rig replaces the lost host: an empty node 2 joins again, and the
	// swarm lists three Ready nodes, the lost one's entry gone.
	s.Up()
	checkNodesReady(t, s, "after node 2 was replaced")
	if vols := s.Docker(2, "volume", "ls", "-q"); strings.TrimSpace(vols) != "" {
		t.Fatalf("the new node 2 has volumes: %s", vols)
	}
}

// checkNodesReady: `docker node ls` on the manager lists the swarm's nodes,
// each once, each Ready and Active.
func checkNodesReady(t *testing.T, s *rig.Swarm, phase string) {
	t.Helper()
	nodes := strings.TrimSpace(s.Docker(1, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}"))
	lines := strings.Split(nodes, "\n")
	for n := 1; n <= s.Nodes(); n++ {
		if !slices.Contains(lines, s.NodeHostname(n)+" Ready Active") {
			t.Fatalf("%s: node %d is not Ready in docker node ls:\n%s", phase, n, nodes)
		}
	}
	if len(lines) != s.Nodes() {
		t.Fatalf("%s: docker node ls lists %d nodes, want %d:\n%s", phase, len(lines), s.Nodes(), nodes)
	}
}

// rolloutToEveryNode pushes the plugin to a registry every node reaches and
// installs it on every node with scripts/swarm-rollout.sh; it returns each
// node's plugin, answering /health with the version pushed.
func rolloutToEveryNode(t *testing.T, s *rig.Swarm, run string, settings ...string) map[int]*nodePlugin {
	t.Helper()
	ref := s.Registry() + "/baktainer:" + run
	s.PushPlugin(ref, "swarm-"+run)
	out := s.Rollout(ref, append([]string{"BT_HEALTH_BIND=0.0.0.0", "BT_LOG_LEVEL=debug", "BT_BACKUP_RETRY_DELAY=1s"}, settings...)...)
	plugins := map[int]*nodePlugin{}
	for n := 1; n <= s.Nodes(); n++ {
		hostname := s.NodeHostname(n)
		if !strings.Contains(out, hostname+": installing "+ref) || !strings.Contains(out, hostname+": baktainer is enabled at "+ref+" and serves volumes") {
			t.Fatalf("the rollout did not install %s on %s:\n%s", ref, hostname, out)
		}
		if got := s.Docker(n, "plugin", "inspect", "-f", "{{.Enabled}} {{.PluginReference}}", "baktainer"); strings.TrimSpace(got) != "true "+ref {
			t.Fatalf("node %d: plugin baktainer is %q, want enabled at %s", n, got, ref)
		}
		plugins[n] = newNodePlugin(t, s, n, swarmHealthPort)
		if v := plugins[n].health(); v != "swarm-"+run {
			t.Fatalf("node %d: the plugin reports version %q", n, v)
		}
	}
	return plugins
}

// deployPinnedStack deploys docs/PLUGIN.md's stack pinned to node 2, with its
// backups onto vol, and returns the service and its task's container, once
// Postgres accepts connections.
func deployPinnedStack(t *testing.T, s *rig.Swarm, run, vol string) (service, container string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "db_password.txt"), []byte("swarm-Secret-"+run+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stack := "app" + run
	deployStack(t, s, stackFile(t, dir), stack,
		"DB_IMAGE="+rig.PostgresImage, "DB_NODE="+s.NodeHostname(2), "BACKUP_VOLUME="+vol)
	t.Cleanup(func() { _, _ = s.TryDocker(1, "stack", "rm", stack) })
	service = stack + "_db"
	container = s.ServiceTaskContainer(2, service, 2*time.Minute)
	rig.WaitFor(t, s.Client(2), container, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	return service, container
}

// backupOnNode has the node's plugin back container up now and returns the
// host path of the one archive it wrote onto vol, named after baktainer.name,
// and the s3:// address of its copy off the host.
func backupOnNode(t *testing.T, s *rig.Swarm, plugin *nodePlugin, container, vol string) (archive, copied string) {
	t.Helper()
	att := plugin.backup(container)
	if att.Outcome != agent.Succeeded || att.Name != "app-db" || !att.Offsite.Succeeded() {
		t.Fatalf("node %d: backup of %s: %+v, off-host copy %+v\n%s", plugin.node, container, att, att.Offsite, plugin.log())
	}
	archives := nodeArchives(t, s, plugin.node, vol)
	if len(archives) != 1 || !strings.Contains(archives[0], "/app-db/") {
		t.Fatalf("volume %s on node %d holds %v, want one archive of app-db", vol, plugin.node, archives)
	}
	return archives[0], att.Offsite.URL
}

// checkReadOnlyConsumer: a container on node 2 that mounts the backup volume
// read-only sees the archive, `sha256sum -c` passes on it, and it cannot write.
func checkReadOnlyConsumer(t *testing.T, s *rig.Swarm, vol, archive string) {
	t.Helper()
	rel, err := filepath.Rel(filepath.Join(s.NodeData(2), "volumes", vol), archive)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunOnNode(2, rig.PostgresImage, []string{vol + ":/backup:ro"}, `set -e
		cd "/backup/$(dirname "$1")"
		sha256sum -c "$(basename "$1").sha256"
		if touch /backup/written 2>/dev/null || touch written 2>/dev/null; then echo WRITABLE; exit 1; fi
		echo read-only`, rel)
	if err != nil || !strings.Contains(out, filepath.Base(archive)+": OK") || !strings.Contains(out, "read-only") {
		t.Fatalf("the read-only consumer of %s on node 2: %v\n%s", vol, err, out)
	}
}

// repinToNode3 moves the service to node 3 (its placement constraint), where
// its data volume is new and empty, restores into the new task's container
// with restore and compares every row; the plugin on node 3 then backs the
// service up onto a volume made there (and copies it off the host).
func repinToNode3(t *testing.T, s *rig.Swarm, service, vol string, want map[string]string, plugin *nodePlugin, restore func(t *testing.T, s *rig.Swarm, node int, container string)) {
	t.Helper()
	s.Load(3, rig.PostgresImage)
	s.Docker(3, "volume", "create", "-d", "baktainer", vol)
	s.Docker(1, "service", "update", "--detach", "--constraint-rm", "node.hostname == "+s.NodeHostname(2),
		"--constraint-add", "node.hostname == "+s.NodeHostname(3), service)
	dc3 := s.Client(3)
	pg := s.ServiceTaskContainer(3, service, 3*time.Minute)
	rig.WaitFor(t, dc3, pg, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	if tables := strings.TrimSpace(rig.Psql(t, dc3, pg, "postgres", "app",
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")); tables != "0" {
		t.Fatalf("the service on node 3 starts with %s tables, want an empty data directory", tables)
	}
	restore(t, s, 3, pg)
	sameTables(t, "restored on node 3 after node 2 was lost", want, tableContents(t, dc3, pg))

	backupOnNode(t, s, plugin, pg, vol)
}
