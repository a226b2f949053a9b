//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// TestPluginVolumeOptions: issue 11.3 and 17.4 with the real engine. Containers
// that mount a backup volume see it read-only unless it was created with
// consumers=rw, while the plugin's backups still land in it (and show up in a
// consumer's mount); `docker volume create -o` of an existing volume changes
// nothing (the engine never asks the plugin: quirk 8), `baktainer volume set`
// does, and the next backups follow the new options.
func TestPluginVolumeOptions(t *testing.T) {
	w, dc := newLocalPlugin(t, "options")
	vol, rw := "ro-"+w.run, "rw-"+w.run
	w.docker("volume", "create", "-d", w.alias, "-o", "retention.count=5", vol)
	w.docker("volume", "create", "-d", w.alias, "-o", "consumers=rw", rw)
	pg := labelledPostgres(t, w, dc, "options-pg", vol)

	// A consumer that keeps the volume mounted (without :ro) while backups land.
	reader := "options-reader-" + w.run
	w.docker("run", "-d", "--name", reader, "--network", "none", "--label", rig.RunLabel+"="+w.run,
		"-v", vol+":/backups", "--entrypoint", "sleep", rig.PostgresImage, "infinity")
	t.Cleanup(func() { _, _ = rig.TryDockerCLI(w.host, "", "rm", "-f", "-v", reader) })
	out, err := rig.TryDockerCLI(w.host, "", "exec", reader, "sh", "-c", "touch /backups/planted && echo WROTE")
	if err == nil || strings.Contains(out, "WROTE") || !strings.Contains(err.Error(), "Read-only file system") {
		t.Fatalf("a consumer of volume %s (no consumers=rw) wrote into it: %v %q", vol, err, out)
	}
	if _, err := w.sh([]string{vol + ":/backups"}, "mkdir /backups/x"); err == nil {
		t.Fatalf("a second consumer of volume %s made a directory in it", vol)
	}
	if out, err := w.sh([]string{rw + ":/backups"}, "echo written by a container > /backups/note.txt && cat /backups/note.txt"); err != nil ||
		!strings.Contains(out, "written by a container") {
		t.Fatalf("a consumer of volume %s (consumers=rw) cannot write: %v %q", rw, err, out)
	}
	w.runNow(pg)
	first := w.newArchive(vol, "with a read-only consumer")
	rel, _ := filepath.Rel(filepath.Join(w.data, "volumes", vol), first)
	if out, err := rig.TryDockerCLI(w.host, "", "exec", reader, "sh", "-c",
		fmt.Sprintf("cd /backups/%s && sha256sum -c %s.sha256", filepath.Dir(rel), filepath.Base(rel))); err != nil {
		t.Fatalf("the consumer does not see the new archive %s: %v %s", rel, err, out)
	}

	// 17.4: the engine answers a create of an existing volume itself.
	w.docker("volume", "create", "-d", w.alias, "-o", "retention.count=1", vol)
	if opts := w.docker("volume", "inspect", "-f", "{{json .Status.options}}", vol); !strings.Contains(opts, `"retention.count":"5"`) {
		t.Fatalf("docker volume create -o of an existing volume changed its options (quirk 8 gone? update docs/PLUGIN.md): %s", opts)
	}
	if _, errOut, code := runBaktainer(t, nil, "volume", "set", vol, "consumers=rw", "--via", w.url("")); code == 0 ||
		!strings.Contains(errOut, "cannot change while 1 container mount(s) use it") {
		t.Fatalf("volume set consumers=rw while a container mounts it: exit %d %s", code, errOut)
	}
	out, errOut, code := runBaktainer(t, nil, "volume", "set", vol, "retention.count=1", "--via", w.url(""))
	if code != 0 || !strings.Contains(out, "retention.count=1 (was 5)") {
		t.Fatalf("volume set: exit %d %s%s", code, out, errOut)
	}
	if opts := w.docker("volume", "inspect", "-f", "{{json .Status.options}}", vol); !strings.Contains(opts, `"retention.count":"1"`) {
		t.Fatalf("options after volume set: %s", opts)
	}
	att := w.runNow(pg)
	var done agent.Attempt
	w.waitFor(60*time.Second, func() string { return fmt.Sprintf("attempt %s: %+v", att.ID, done) }, func() bool {
		code, _ := w.get("/api/v1/backups/"+att.ID, &done)
		return code == http.StatusOK && done.Outcome.Final()
	})
	if archives := w.volumeArchives(vol); done.Outcome != agent.Succeeded || len(archives) != 1 {
		t.Fatalf("after a backup with retention.count=1: %s %s, archives %v", done.Outcome, done.Error, archives)
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Fatalf("the first archive outlived retention.count=1: %v", err)
	}
}
