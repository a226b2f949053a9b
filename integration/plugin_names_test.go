//go:build integration

package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/plugin"
)

// TestPluginLongVolumeNames: issue 11.6 with the real engine. The longest name
// the plugin accepts is a usable volume, a longer one is refused naming the
// limit, and a volume directory the plugin cannot adopt (a 250-character name,
// as a plugin before the limit left) does not stop it from starting: it is
// skipped, and /health names it.
func TestPluginLongVolumeNames(t *testing.T) {
	w, _ := newLocalPlugin(t, "names")
	longest := w.run + "-" + strings.Repeat("v", plugin.MaxNameLength-len(w.run)-1)
	if _, err := rig.TryDockerCLI(w.host, "", "volume", "create", "-d", w.alias, longest+"v"); err == nil ||
		!strings.Contains(err.Error(), "use at most 239 characters") {
		t.Fatalf("docker volume create of a %d-character name: %v", len(longest)+1, err)
	}
	w.docker("volume", "create", "-d", w.alias, longest)
	if out, err := w.sh([]string{longest + ":/backups"}, "ls -a /backups"); err != nil {
		t.Fatalf("mount the %d-character volume: %v %s", len(longest), err, out)
	}

	orphan := strings.Repeat("o", 250)
	if err := os.Mkdir(filepath.Join(w.data, "volumes", orphan), 0o750); err != nil {
		t.Fatal(err)
	}
	w.docker("plugin", "disable", "-f", w.alias)
	w.docker("plugin", "enable", w.alias)
	h := w.health(http.StatusServiceUnavailable)
	if !strings.Contains(h.Body, "volume_directories") || !strings.Contains(h.Body, "not adopted as a volume") {
		t.Fatalf("/health with a directory that cannot be adopted: %s", h.Body)
	}
	if out, err := w.sh([]string{longest + ":/backups"}, "ls -a /backups"); err != nil {
		t.Fatalf("mount a volume while a directory could not be adopted: %v %s", err, out)
	}
	w.docker("volume", "create", "-d", w.alias, "after-"+w.run)
}
