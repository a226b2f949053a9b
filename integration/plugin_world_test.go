//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// pluginWorld is one managed plugin on the second daemon, installed from a local
// registry, with the volumes and archives the test expects it to keep.
type pluginWorld struct {
	t          *testing.T
	run        string
	host       string // DOCKER_HOST of the second daemon
	alias      string // the plugin's local name, which volumes name as their driver
	data       string // the data mount's source on the host
	healthPort int
	settings   []string            // KEY=VALUE given at install
	archives   map[string][]string // volume → archives (relative paths) it must keep
	sums       map[string]string   // volume/archive → SHA-256 from its sidecar
}

func (w *pluginWorld) docker(args ...string) string {
	w.t.Helper()
	return rig.DockerCLI(w.t, w.host, "", args...)
}

func (w *pluginWorld) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", w.healthPort, path)
}

// socket is the second daemon's API socket, which the plugin's agent talks to.
func (w *pluginWorld) socket() string { return strings.TrimPrefix(w.host, "unix://") }

// install installs ref from the registry under the alias, with the test's settings.
func (w *pluginWorld) install(ref string) {
	w.t.Helper()
	args := []string{"plugin", "install", "--alias", w.alias, "--grant-all-permissions", ref,
		"data.source=" + w.data, "docker-socket.source=" + w.socket()}
	w.docker(append(args, w.settings...)...)
}

// disable disables the plugin. The engine refuses without -f while volumes it
// created through the plugin exist, even unmounted ones (the test keeps one):
// the test checks that quirk each time.
func (w *pluginWorld) disable() {
	w.t.Helper()
	if _, err := rig.TryDockerCLI(w.host, "", "plugin", "disable", w.alias); err == nil || !strings.Contains(err.Error(), "in use") {
		w.t.Fatalf("disable without -f while volumes exist: %v, want the engine's \"in use\" refusal", err)
	}
	w.docker("plugin", "disable", "-f", w.alias)
}

// pluginHealth is the plugin's /health answer. Only status and version are
// decoded: the checks' shape belongs to issue 7's /health, so the tests look for
// their names and reasons in Body.
type pluginHealth struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Body    string `json:"-"`
}

// health waits until the plugin's /health, seen from the host, answers want
// (200 or 503) and returns the answer.
func (w *pluginWorld) health(want int) pluginHealth {
	w.t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		var h pluginHealth
		code, body := w.get("/health", &h)
		if code == want {
			h.Body = body
			return h
		}
		last = fmt.Sprintf("%d %s", code, body)
	}
	w.t.Fatalf("GET /health never answered %d: last %s\n%s", want, last, w.pluginLog())
	return pluginHealth{}
}

// get GETs a path of the plugin's HTTP server; status 0 when it does not answer.
func (w *pluginWorld) get(path string, out any) (int, string) {
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(w.url(path))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(b, out) != nil {
		return 0, string(b)
	}
	return resp.StatusCode, string(b)
}

// runNow asks the plugin's agent for a backup of container now (its API, on the host).
func (w *pluginWorld) runNow(container string) agent.Attempt {
	w.t.Helper()
	body, _ := json.Marshal(agent.BackupRequest{Container: container})
	resp, err := http.Post(w.url("/api/v1/backups"), "application/json", bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var att agent.Attempt
	if err := json.NewDecoder(resp.Body).Decode(&att); err != nil || resp.StatusCode != http.StatusAccepted {
		w.t.Fatalf("POST /api/v1/backups %s: %s %v", container, resp.Status, err)
	}
	return att
}

// attempts returns the plugin's attempts of one backup name, newest first.
func (w *pluginWorld) attempts(name string) []agent.Attempt {
	var atts []agent.Attempt
	w.get("/api/v1/backups?name="+name, &atts)
	return atts
}

// waitFor polls cond until it holds, failing with what() and the plugin's log.
func (w *pluginWorld) waitFor(timeout time.Duration, what func() string, cond func() bool) {
	w.t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			w.t.Fatalf("after %s: %s\n%s", timeout, what(), w.pluginLog())
		}
	}
}

// pluginLog is the tail of the plugin's lines in the second daemon's log.
func (w *pluginWorld) pluginLog() string {
	id, err := rig.TryDockerCLI(w.host, "", "plugin", "inspect", "-f", "{{.Id}}", w.alias)
	if err != nil {
		return "(no plugin)"
	}
	out, _ := exec.Command("sh", "-c", fmt.Sprintf("grep 'plugin=%s' /var/log/baktainer-test-dockerd.log | tail -n 30",
		strings.TrimSpace(id))).Output()
	return "plugin log:\n" + string(out)
}

// volumeArchives lists the archives on a volume, as paths relative to it.
func (w *pluginWorld) volumeArchives(vol string) []string {
	w.t.Helper()
	root := filepath.Join(w.data, "volumes", vol)
	list, err := store.List(context.Background(), root)
	if err != nil {
		w.t.Fatalf("archives on %s: %v", vol, err)
	}
	var rel []string
	for _, a := range list {
		r, _ := filepath.Rel(root, a.Path)
		rel = append(rel, r)
	}
	return rel
}

// newArchive waits until the plugin writes an archive onto vol that the test has
// not seen, records every archive there, and returns the new one's host path.
func (w *pluginWorld) newArchive(vol, phase string) string {
	w.t.Helper()
	var fresh string
	w.waitFor(90*time.Second, func() string { return phase + ": no new archive on volume " + vol }, func() bool {
		for _, a := range w.volumeArchives(vol) {
			if !slices.Contains(w.archives[vol], a) {
				fresh = a
				return true
			}
		}
		return false
	})
	for _, a := range w.volumeArchives(vol) {
		if !slices.Contains(w.archives[vol], a) {
			w.archives[vol] = append(w.archives[vol], a)
			sum, err := os.ReadFile(filepath.Join(w.data, "volumes", vol, a) + store.ChecksumExt)
			if err != nil {
				w.t.Fatal(err)
			}
			w.sums[vol+"/"+a] = string(sum)
		}
	}
	return filepath.Join(w.data, "volumes", vol, fresh)
}

// sh runs a shell script in a throwaway container of the Postgres image (it has
// sha256sum and zstd's friends) with the given volume mounts.
func (w *pluginWorld) sh(mounts []string, script string) (string, error) {
	args := []string{"run", "--rm", "--network", "none", "--label", rig.RunLabel + "=" + w.run, "--entrypoint", "sh"}
	for _, m := range mounts {
		args = append(args, "-v", m)
	}
	args = append(args, rig.PostgresImage, "-c", script)
	return rig.TryDockerCLI(w.host, "", args...)
}

// verify checks that every volume is still there with every archive it must
// keep: listed by the engine, byte-identical on the data mount, and readable
// through a read-only mount, where `sha256sum -c` passes for each archive and
// nothing can be written.
func (w *pluginWorld) verify(phase string) {
	w.t.Helper()
	listed := w.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}")
	for vol, archives := range w.archives {
		if !strings.Contains("\n"+listed, "\n"+w.alias+":latest "+vol+"\n") {
			w.t.Fatalf("%s: volume %s is not listed any more: %q", phase, vol, listed)
		}
		for _, a := range archives {
			path := filepath.Join(w.data, "volumes", vol, a)
			sum, err := os.ReadFile(path + store.ChecksumExt)
			if err != nil || string(sum) != w.sums[vol+"/"+a] {
				w.t.Fatalf("%s: the sidecar of %s changed or went: %v", phase, path, err)
			}
			if err := store.VerifyChecksum(context.Background(), path); err != nil {
				w.t.Fatalf("%s: archive on the data mount: %v", phase, err)
			}
		}
		out, err := w.sh([]string{vol + ":/backup:ro"}, `set -e; n=0
			for s in /backup/*/*/*.sha256; do
				[ -e "$s" ] || continue
				(cd "$(dirname "$s")" && sha256sum -c "$(basename "$s")"); n=$((n+1))
				if touch "$(dirname "$s")/written" 2>/dev/null; then echo WRITABLE; exit 1; fi
			done
			echo "checked $n"; cat /backup/note.txt
			if touch /backup/written 2>/dev/null; then echo WRITABLE; exit 1; fi`)
		checked := -1
		if i := strings.Index(out, "checked "); i >= 0 {
			_, _ = fmt.Sscanf(out[i:], "checked %d", &checked)
		}
		if err != nil || checked < len(archives) || strings.Contains(out, "FAILED") || !strings.Contains(out, "written by a container") {
			w.t.Fatalf("%s: read-only check of volume %s (%d archives): %v\n%s", phase, vol, len(archives), err, out)
		}
	}
	if h := w.health(http.StatusOK); h.Status != "ok" || !strings.Contains(h.Body, "volume_driver") {
		w.t.Fatalf("%s: /health = %s", phase, h.Body)
	}
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

// cleanup removes the test's plugin, volumes (the plugin's, and any other named
// after the run, such as a local volume a failing test let the engine make) and data.
func (w *pluginWorld) cleanup() {
	for _, line := range strings.Split(rig.DockerCLI(w.t, w.host, "", "volume", "ls", "--format", "{{.Driver}} {{.Name}}"), "\n") {
		driver, vol, _ := strings.Cut(line, " ")
		if driver == w.alias+":latest" || (vol != "" && strings.Contains(vol, w.run)) {
			_, _ = rig.TryDockerCLI(w.host, "", "volume", "rm", "-f", vol)
		}
	}
	_, _ = rig.TryDockerCLI(w.host, "", "plugin", "rm", "-f", w.alias)
	_ = os.RemoveAll(w.data)
}
