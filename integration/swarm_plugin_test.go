//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// swarmHealthPort is the plugins' HTTP port: every node has an address of its
// own, so one port serves all three.
const swarmHealthPort = 8080

// TestSwarmThreeNodes is issue 16's Swarm rig, end to end on three real
// engines: three Docker-in-Docker nodes form one swarm; scripts/swarm-rollout.sh
// installs the plugin from a registry on all three; the stack of
// docs/PLUGIN.md deploys a labelled Postgres pinned to node 2, where the
// plugin backs it up onto a backup volume; a read-only consumer on node 2
// checks the archive with sha256sum -c, and a restore into a fresh container
// gives the same rows. Then node 2 is destroyed (container and data root), the
// service is re-pinned to node 3, where it starts with an empty data
// directory, and the archive kept off node 2 brings every row back there.
func TestSwarmThreeNodes(t *testing.T) {
	run := rig.RunID()
	s := rig.StartSwarm(t, 3)
	if ready := strings.Count(s.Docker(1, "node", "ls", "--format", "{{.Status}} {{.Availability}}"), "Ready Active"); ready != 3 {
		t.Fatalf("docker node ls shows %d nodes Ready, want 3:\n%s", ready, s.Docker(1, "node", "ls"))
	}
	s.Load(2, rig.PostgresImage)

	// The plugin, from a registry every node reaches, on every node.
	ref := s.Registry() + "/baktainer:" + run
	s.PushPlugin(ref, "swarm-"+run)
	out := s.Rollout(ref, "BT_HEALTH_BIND=0.0.0.0", "BT_LOG_LEVEL=debug", "BT_BACKUP_RETRY_DELAY=1s")
	plugins := map[int]*nodePlugin{}
	for n := 1; n <= 3; n++ {
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

	// The documented stack: a labelled Postgres pinned to node 2, backed up
	// onto a volume made there.
	vol := "app-db-backups-" + run
	s.Docker(2, "volume", "create", "-d", "baktainer", vol)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "db_password.txt"), []byte("swarm-Secret-"+run+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stack, service := "app"+run, "app"+run+"_db"
	deployStack(t, s, stackFile(t, dir), stack,
		"DB_IMAGE="+rig.PostgresImage, "DB_NODE="+s.NodeHostname(2), "BACKUP_VOLUME="+vol)
	t.Cleanup(func() { _, _ = s.TryDocker(1, "stack", "rm", stack) })
	dc2 := s.Client(2)
	pg := s.ServiceTaskContainer(2, service, 2*time.Minute)
	rig.WaitFor(t, dc2, pg, 90*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	rig.Psql(t, dc2, pg, "postgres", "app", seedSQL)
	want := tableContents(t, dc2, pg)

	att := plugins[2].backup(pg)
	if att.Outcome != agent.Succeeded || att.Name != "app-db" {
		t.Fatalf("node 2: backup of %s: %+v\n%s", pg, att, plugins[2].log())
	}
	archives := nodeArchives(t, s, 2, vol)
	if len(archives) != 1 {
		t.Fatalf("volume %s on node 2 holds %v, want one archive", vol, archives)
	}
	archive := archives[0]
	checkReadOnlyConsumer(t, s, vol, archive)

	fresh := rig.StartPostgres(t, dc2, rig.ContainerSpec{Name: "swarm-restored",
		Env: []string{"POSTGRES_PASSWORD=restore-Secret-2", "POSTGRES_DB=app"}})
	restoreInto(t, s, 2, archive, fresh)
	sameTables(t, "restored on node 2", want, tableContents(t, dc2, fresh))

	// The drill's preparation: the archive survives off node 2 (the S3 copy's
	// stand-in), then node 2's host is lost.
	kept := copyArchive(t, archive, t.TempDir())
	s.DestroyNode(2)
	if _, err := os.Stat(filepath.Dir(s.NodeData(2))); !os.IsNotExist(err) {
		t.Fatalf("node 2's data root is still there: %v", err)
	}
	s.WaitNodeStatus(2, "Down", 2*time.Minute)
	repinToNode3(t, s, service, vol, kept, want, plugins[3])
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
// its data volume is new and empty, restores the kept archive into the new
// task's container and compares every row; the plugin on node 3 then backs
// the service up onto a volume made there.
func repinToNode3(t *testing.T, s *rig.Swarm, service, vol, kept string, want map[string]string, plugin *nodePlugin) {
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
	restoreInto(t, s, 3, kept, pg)
	sameTables(t, "restored on node 3 after node 2 was lost", want, tableContents(t, dc3, pg))

	if att := plugin.backup(pg); att.Outcome != agent.Succeeded || att.Name != "app-db" {
		t.Fatalf("node 3: backup of the re-pinned service: %+v\n%s", att, plugin.log())
	}
	if archives := nodeArchives(t, s, 3, vol); len(archives) != 1 {
		t.Fatalf("volume %s on node 3 holds %v, want one archive", vol, archives)
	}
}
