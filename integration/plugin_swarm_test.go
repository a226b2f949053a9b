//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
)

// TestSwarmRollout runs scripts/swarm-rollout.sh on a single-node swarm of the
// second daemon: the global job installs the plugin from the registry, later
// upgrades it keeping its data mount (quirk 6) and volumes, and a third run with
// the same version changes nothing.
func TestSwarmRollout(t *testing.T) {
	run := rig.RunID()
	host := rig.SecondDocker(t, rig.PostgresImage, rig.DockerCLIImage)
	registry := rig.Registry(t)
	w := &pluginWorld{t: t, run: run, host: host, alias: "baktainer",
		data:       filepath.Join("/var/lib/baktainer-test-data", "swarm-"+run),
		healthPort: rig.FreePort(t), archives: map[string][]string{}, sums: map[string]string{}}
	w.cleanup()
	t.Cleanup(w.cleanup)

	// A swarm of its own, on loopback ports of its own (the main daemon may have one).
	_, _ = rig.TryDockerCLI(host, "", "swarm", "leave", "--force")
	w.docker("swarm", "init", "--advertise-addr", "127.0.0.1",
		"--listen-addr", fmt.Sprintf("127.0.0.1:%d", rig.FreePort(t)), "--data-path-port", fmt.Sprint(rig.FreePort(t)))
	t.Cleanup(func() { _, _ = rig.TryDockerCLI(host, "", "swarm", "leave", "--force") })

	ref1, ref2 := registry+"/baktainer:"+run+"-1", registry+"/baktainer:"+run+"-2"
	for i, ref := range []string{ref1, ref2} {
		makePlugin(t, host, "plugin-push", "PLUGIN="+ref, fmt.Sprintf("VERSION=swarm-test-%d", i+1))
		w.docker("plugin", "rm", "-f", ref)
	}
	tryRollout := func(ref string, settings ...string) (string, error) {
		cmd := exec.Command(filepath.Join(rig.RepoRoot(), "scripts", "swarm-rollout.sh"), append([]string{ref}, settings...)...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "BT_ROLLOUT_IMAGE="+rig.DockerCLIImage,
			"BT_ROLLOUT_DATA="+w.data, "BT_ROLLOUT_SOCKET="+w.socket(), "BT_ROLLOUT_TIMEOUT=180")
		out, err := cmd.CombinedOutput()
		t.Logf("swarm-rollout.sh %s: %v\n%s", ref, err, out)
		return string(out), err
	}
	rollout := func(ref string, settings ...string) string {
		t.Helper()
		out, err := tryRollout(ref, settings...)
		if err != nil {
			t.Fatalf("swarm-rollout.sh %s: %v", ref, err)
		}
		return out
	}

	out := rollout(ref1, fmt.Sprintf("BT_HEALTH_PORT=%d", w.healthPort), "BT_SELECTOR="+rig.RunLabel+"="+run)
	if !strings.Contains(out, "installing "+ref1) || !strings.Contains(out, "is enabled at "+ref1+" and serves volumes") {
		t.Fatalf("first rollout:\n%s", out)
	}
	if h := w.health(http.StatusOK); h.Version != "swarm-test-1" {
		t.Fatalf("after the rollout /health = %+v", h)
	}
	keptVol := "kept-" + run
	w.docker("volume", "create", "-d", w.alias, "-o", "consumers=rw", keptVol)
	w.archives[keptVol] = nil
	if _, err := w.sh([]string{keptVol + ":/backup"}, "echo written by a container > /backup/note.txt"); err != nil {
		t.Fatal(err)
	}

	out = rollout(ref2)
	if !strings.Contains(out, "upgrading from "+ref1+" to "+ref2) {
		t.Fatalf("upgrade rollout:\n%s", out)
	}
	if h := w.health(http.StatusOK); h.Version != "swarm-test-2" {
		t.Fatalf("after the upgrade /health = %+v", h)
	}
	w.verify("after the upgrade rollout") // the data mount came back, with the volume

	if out := rollout(ref2); !strings.Contains(out, "already at "+ref2) {
		t.Fatalf("a rollout of the version every node runs:\n%s", out)
	}
	w.verify("after a second rollout of the same version")

	// A version that is not in the registry: the node fails, loudly, and keeps
	// running the version it had.
	missing := registry + "/baktainer:" + run + "-missing"
	if out, err := tryRollout(missing); err == nil || !strings.Contains(out, "FAILED to upgrade to "+missing+"; "+ref2+" is enabled again") {
		t.Fatalf("a rollout of a missing version: %v\n%s", err, out)
	}
	if h := w.health(http.StatusOK); h.Version != "swarm-test-2" {
		t.Fatalf("after a failed rollout /health = %+v", h)
	}
	w.verify("after a failed rollout")
}
