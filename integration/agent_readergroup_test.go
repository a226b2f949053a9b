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

// shipperGroup is the gid the test's shipper runs in (BT_ARCHIVE_GROUP).
const shipperGroup = "4242"

// TestAgentArchiveGroupLetsANonRootShipperRead (issue 17.8), with the real
// engine: with BT_ARCHIVE_GROUP set, a container running as a non-root user in
// that group mounts the backups read-only and checks and reads the agent's new
// archive; the same user outside the group cannot (0640, nothing for others).
func TestAgentArchiveGroupLetsANonRootShipperRead(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	reg, _ := standinRegistry()
	ta := startAgent(t, dc, run, map[string]string{"BT_ARCHIVE_GROUP": shipperGroup, "BT_COMPRESSION": "none"}, reg)
	db := rig.Start(t, dc, rig.ContainerSpec{Name: "readergroup-db", Image: rig.TinyImage,
		Labels: standinLabels(run, dumpBytesLabel, "4096")})
	waitUntil(t, 20*time.Second, func() string { return db + " not registered" }, func() bool { _, ok := ta.target(db); return ok })
	att, err := ta.RunNow(db)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, func() string { return "no finished backup of " + db }, func() bool { return len(ta.attempts(att.Name)) > 0 })
	done := ta.attempts(att.Name)[0]
	if done.Outcome != agent.Succeeded {
		t.Fatalf("backup: %s %s", done.Outcome, done.Error)
	}
	rel, err := filepath.Rel(ta.dir, done.Archive)
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("archive %s is not under %s", done.Archive, ta.dir)
	}
	check := "cd /backups/" + filepath.Dir(rel) + " && sha256sum -c " + filepath.Base(rel) + ".sha256 && cat " + filepath.Base(rel) + ".json >/dev/null && echo READ"
	if out, err := shipper(ta.dir, "1000:"+shipperGroup, check); err != nil || !strings.Contains(out, "READ") {
		t.Fatalf("a shipper running as uid 1000 in BT_ARCHIVE_GROUP=%s cannot read %s: %v\n%s", shipperGroup, rel, err, out)
	}
	if out, err := shipper(ta.dir, "1000:1000", check); err == nil || strings.Contains(out, "READ") {
		t.Fatalf("a user outside the reader group read %s: %v\n%s", rel, err, out)
	}
}

// shipper runs script as user (uid:gid) in a throwaway container that mounts
// dir read-only at /backups.
func shipper(dir, user, script string) (string, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	return rig.TryDockerCLI(host, "", "run", "--rm", "--network", "none", "--user", user, "-v", dir+":/backups:ro",
		"--entrypoint", "sh", rig.PostgresImage, "-c", script)
}
