//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// pluginWorld is one managed plugin on the second daemon, installed from a local
// registry, with the volumes and archives the test expects it to keep.
type pluginWorld struct {
	t          *testing.T
	host       string // DOCKER_HOST of the second daemon
	alias      string // the plugin's local name, which volumes name as their driver
	data       string // the data mount's source on the host
	healthPort int
	archives   map[string]archiveOnVolume // volume → the archive it must keep
}

type archiveOnVolume struct {
	rel    string // path under the volume
	sha256 string
}

func (w *pluginWorld) docker(args ...string) string {
	w.t.Helper()
	return rig.DockerCLI(w.t, w.host, "", args...)
}

// install installs ref from the registry under the alias, with the test's settings.
func (w *pluginWorld) install(ref string) {
	w.t.Helper()
	w.docker("plugin", "install", "--alias", w.alias, "--grant-all-permissions", ref,
		"data.source="+w.data,
		"docker-socket.source="+strings.TrimPrefix(w.host, "unix://"),
		fmt.Sprintf("BT_HEALTH_PORT=%d", w.healthPort),
		"BT_LOG_LEVEL=debug")
}

// disable disables the plugin. The engine refuses without -f while volumes of the
// plugin exist, even unmounted ones: the test checks that quirk each time.
func (w *pluginWorld) disable() {
	w.t.Helper()
	if _, err := rig.TryDockerCLI(w.host, "", "plugin", "disable", w.alias); err == nil || !strings.Contains(err.Error(), "in use") {
		w.t.Fatalf("disable without -f while volumes exist: %v, want the engine's \"in use\" refusal", err)
	}
	w.docker("plugin", "disable", "-f", w.alias)
}

// health returns the plugin's /health answer, as seen from the host.
func (w *pluginWorld) health() map[string]string {
	w.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/health", w.healthPort)
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err
			continue
		}
		var body map[string]string
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			w.t.Fatalf("GET %s: %d %v %v", url, resp.StatusCode, body, err)
		}
		return body
	}
	w.t.Fatalf("GET %s: %v", url, last)
	return nil
}

// sh runs a shell script in a throwaway container of the Postgres image (it has
// sha256sum and zstd's friends) with the given volume mounts.
func (w *pluginWorld) sh(mounts []string, script string) (string, error) {
	args := []string{"run", "--rm", "--network", "none", "--label", rig.RunLabel + "=plugin", "--entrypoint", "sh"}
	for _, m := range mounts {
		args = append(args, "-v", m)
	}
	args = append(args, rig.PostgresImage, "-c", script)
	return rig.TryDockerCLI(w.host, "", args...)
}

// verify checks that every volume is still there with its archive: listed by the
// engine, the archive byte-identical on the data mount, and readable through a
// read-only mount, where `sha256sum -c` passes and nothing can be written.
func (w *pluginWorld) verify(phase string) {
	w.t.Helper()
	listed := w.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}")
	for vol, a := range w.archives {
		if !strings.Contains("\n"+listed, "\n"+w.alias+":latest "+vol+"\n") {
			w.t.Fatalf("%s: volume %s is not listed any more: %q", phase, vol, listed)
		}
		hostPath := filepath.Join(w.data, "volumes", vol, a.rel)
		if err := store.VerifyChecksum(hostPath); err != nil {
			w.t.Fatalf("%s: archive on the data mount: %v", phase, err)
		}
		dir, file := filepath.Split(a.rel)
		out, err := w.sh([]string{vol + ":/backup:ro"}, fmt.Sprintf(
			`cd /backup/%s && sha256sum -c %s.sha256 && cat /backup/note.txt && `+
				`if touch /backup/written 2>/dev/null || touch /backup/%s/written 2>/dev/null; then echo WRITABLE; exit 1; fi`,
			dir, file, dir))
		if err != nil || !strings.Contains(out, file+": OK") || !strings.Contains(out, "written by a container") {
			w.t.Fatalf("%s: read-only check of volume %s: %v\n%s", phase, vol, err, out)
		}
	}
	if h := w.health(); h["status"] != "ok" {
		w.t.Fatalf("%s: /health = %v", phase, h)
	}
}

// TestPluginLifecycle is issue 6's acceptance for the plugin without the agent:
// the plugin is pushed to a local registry, installed from it, serves volumes
// that containers write to and read read-only, and keeps every volume and
// archive through disable/enable, a daemon restart, an upgrade, and removal
// with reinstallation. It runs on a second daemon of its own (restartable).
func TestPluginLifecycle(t *testing.T) {
	run := rig.RunID()
	host := rig.SecondDocker(t, rig.PostgresImage)
	registry := rig.Registry(t)
	w := &pluginWorld{
		t: t, host: host, alias: "baktainer",
		data:       filepath.Join("/var/lib/baktainer-test-data", run),
		healthPort: rig.FreePort(t),
		archives:   map[string]archiveOnVolume{},
	}
	// The second daemon is this test's alone: clear what an interrupted run left.
	for _, line := range strings.Split(w.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}"), "\n") {
		if vol, ok := strings.CutPrefix(line, w.alias+":latest "); ok {
			_, _ = rig.TryDockerCLI(host, "", "volume", "rm", "-f", vol)
		}
	}
	_, _ = rig.TryDockerCLI(host, "", "plugin", "rm", "-f", w.alias)
	t.Cleanup(func() { w.cleanup() })
	// Quirk: the engine does not create a plugin mount's source; a missing one
	// fails the install ("error mounting ... no such file or directory").
	if err := os.MkdirAll(w.data, 0o700); err != nil {
		t.Fatal(err)
	}

	// Two versions, pushed by `make plugin-push`. Quirk: the engine keeps one
	// copy of a rootfs blob, so a plugin built from the same rootfs as one being
	// installed makes the install fail ("content ... already exists"): the local
	// builds are removed once pushed, as a release pipeline would do.
	ref1, ref2 := registry+"/baktainer:"+run+"-1", registry+"/baktainer:"+run+"-2"
	for i, ref := range []string{ref1, ref2} {
		makePlugin(t, host, "plugin-push", "PLUGIN="+ref, fmt.Sprintf("VERSION=plugin-test-%d", i+1))
		w.docker("plugin", "rm", "-f", ref)
	}

	w.install(ref1)
	if v := w.health()["version"]; v != "plugin-test-1" {
		t.Fatalf("installed plugin reports version %q", v)
	}

	// A labelled Postgres container, backed up onto a plugin volume.
	pgVol, liveVol := "pg-"+run, "live-"+run
	w.docker("volume", "create", "-d", w.alias, "-o", "retention.count=5", pgVol)
	w.docker("volume", "create", "-d", w.alias, liveVol)
	if _, err := w.sh([]string{pgVol + ":/backup"}, "echo written by a container > /backup/note.txt"); err != nil {
		t.Fatalf("a container writes into the volume: %v", err)
	}
	w.archives[pgVol] = backupOntoVolume(t, w, run, pgVol)
	w.verify("after install")

	// A container keeps liveVol mounted while the plugin goes away and comes back.
	if _, err := w.sh([]string{liveVol + ":/backup"}, "echo written by a container > /backup/note.txt"); err != nil {
		t.Fatal(err)
	}
	idle := "plugin-idle-" + run
	w.docker("run", "-d", "--name", idle, "--network", "none", "--label", rig.RunLabel+"=plugin",
		"-v", liveVol+":/backup", "--entrypoint", "sleep", rig.PostgresImage, "infinity")

	w.disable()
	w.docker("plugin", "enable", w.alias)
	w.verify("after disable/enable")
	if out, err := w.sh([]string{liveVol + ":/backup:ro"}, "cat /backup/note.txt"); err != nil || !strings.Contains(out, "written by a container") {
		t.Fatalf("a volume mounted across disable/enable, mounted again: %v %q", err, out)
	}
	// The container that mounted it before the restart goes: the engine's unmount
	// must be understood, or the volume would stay "mounted" for ever.
	w.docker("rm", "-f", "-v", idle)
	w.docker("volume", "rm", liveVol)

	rig.RestartSecondDocker(t)
	w.verify("after a daemon restart")

	// Quirks: without --skip-remote-check the CLI asks "Plugin images do not
	// match, are you sure?" and, with no answer, upgrades nothing and exits 0;
	// after an upgrade the engine mounts the config's default mount sources
	// (while inspect still shows the old settings) until they are set again.
	w.disable()
	w.docker("plugin", "upgrade", "--skip-remote-check", "--grant-all-permissions", w.alias, ref2)
	w.docker("plugin", "set", w.alias, "data.source="+w.data, "docker-socket.source="+strings.TrimPrefix(w.host, "unix://"))
	w.docker("plugin", "enable", w.alias)
	w.verify("after docker plugin upgrade")
	if v := w.health()["version"]; v != "plugin-test-2" {
		t.Fatalf("upgraded plugin reports version %q", v)
	}

	// Quirk: like disable, rm needs -f while volumes of the plugin exist.
	w.disable()
	if _, err := rig.TryDockerCLI(host, "", "plugin", "rm", w.alias); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("plugin rm without -f while volumes exist: %v", err)
	}
	w.docker("plugin", "rm", "-f", w.alias)
	w.install(ref2)
	w.verify("after docker plugin rm and a reinstall")

	// The volume still holds an archive: removing it is refused, and nothing goes.
	_, err := rig.TryDockerCLI(host, "", "volume", "rm", pgVol)
	if err == nil || !strings.Contains(err.Error(), "holds 1 archive(s)") {
		t.Fatalf("docker volume rm of a volume holding archives: %v", err)
	}
	w.verify("after a refused volume rm")
}

// backupOntoVolume backs up a labelled Postgres container with `baktainer backup`
// into the volume's directory on the data mount (the agent, once in the plugin,
// does the same from inside), and returns the archive.
//
// TODO(agent in the plugin): let the plugin's agent take this backup instead.
func backupOntoVolume(t *testing.T, w *pluginWorld, run, vol string) archiveOnVolume {
	t.Helper()
	pg := "plugin-pg-" + run
	w.docker("run", "-d", "--name", pg, "--network", "none",
		"--label", rig.RunLabel+"="+run, "--label", "baktainer.backup=true", "--label", "baktainer.db.engine=postgres",
		"-e", "POSTGRES_PASSWORD=plugin-Secret-1", "-e", "POSTGRES_DB=shop", rig.PostgresImage)
	t.Cleanup(func() { _, _ = rig.TryDockerCLI(w.host, "", "rm", "-f", "-v", pg) })
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if _, err := rig.TryDockerCLI(w.host, "", "exec", pg, "pg_isready", "-q", "-h", "127.0.0.1"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres in %s did not start", pg)
		}
	}
	rig.DockerCLI(t, w.host, "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'plugin-marker-"+run+"');",
		"exec", "-i", pg, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "shop")

	cmd := exec.Command(filepath.Join(rig.RepoRoot(), "bin", "baktainer"), "backup", pg)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+w.host, "BT_BACKUP_DIR="+filepath.Join(w.data, "volumes", vol))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("baktainer backup %s: %v", pg, err)
	}
	path := strings.TrimSpace(string(out))
	dump := rig.Run(t, nil, rig.Tool(t, "zstd"), "-dc", path)
	if !strings.Contains(string(dump), "plugin-marker-"+run) {
		t.Fatalf("the archive %s does not hold the seeded row", path)
	}
	rel, err := filepath.Rel(filepath.Join(w.data, "volumes", vol), path)
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("archive %s is not on volume %s", path, vol)
	}
	archives, err := store.List(filepath.Join(w.data, "volumes", vol))
	if err != nil || len(archives) != 1 {
		t.Fatalf("archives on the volume: %v, %v", archives, err)
	}
	return archiveOnVolume{rel: rel, sha256: archives[0].Meta.SHA256}
}

// makePlugin runs a make target against the second daemon.
func makePlugin(t *testing.T, host string, args ...string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-s"}, args...)...)
	cmd.Dir = rig.RepoRoot()
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// cleanup removes the test's plugin, volumes and data.
func (w *pluginWorld) cleanup() {
	for vol := range w.archives {
		_, _ = rig.TryDockerCLI(w.host, "", "volume", "rm", "-f", vol)
	}
	_, _ = rig.TryDockerCLI(w.host, "", "plugin", "rm", "-f", w.alias)
	_ = os.RemoveAll(w.data)
}
