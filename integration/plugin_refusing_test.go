//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
)

// newLocalPlugin builds the plugin with `make plugin` on the second daemon (no
// registry: the engine gets it from rootfs/ by `docker plugin create`), under the
// name volumes know it by, and enables it with the run's selector. It returns the
// plugin's world and a client of the second daemon. Extra settings (KEY=VALUE)
// are added to the run's.
func newLocalPlugin(t *testing.T, prefix string, extra ...string) (*pluginWorld, *docker.Client) {
	t.Helper()
	run := rig.RunID()
	host := rig.SecondDocker(t, rig.PostgresImage, rig.TinyImage)
	dc, err := docker.Dial(host)
	if err != nil {
		t.Fatal(err)
	}
	w := &pluginWorld{
		t: t, run: run, host: host, alias: "baktainer",
		data:       filepath.Join("/var/lib/baktainer-test-data", prefix+"-"+run),
		healthPort: rig.FreePort(t),
		archives:   map[string][]string{}, sums: map[string]string{},
	}
	w.settings = []string{fmt.Sprintf("BT_HEALTH_PORT=%d", w.healthPort), "BT_LOG_LEVEL=debug",
		"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_DEFAULT_VOLUME=default-" + run, "BT_BACKUP_RETRY_DELAY=1s"}
	w.settings = append(w.settings, extra...)
	w.cleanup()
	t.Cleanup(w.cleanup)
	if err := os.MkdirAll(w.data, 0o700); err != nil {
		t.Fatal(err)
	}
	makePlugin(t, host, "plugin", "PLUGIN="+w.alias)
	w.docker(append([]string{"plugin", "set", w.alias, "data.source=" + w.data, "docker-socket.source=" + w.socket()}, w.settings...)...)
	w.docker("plugin", "enable", w.alias)
	w.health(http.StatusOK)
	return w, dc
}

// labelledPostgres starts a seeded Postgres the plugin backs up onto vol (its
// schedule is BT_CRON's: tests ask for backups through the API).
func labelledPostgres(t *testing.T, w *pluginWorld, dc *docker.Client, name, vol string) string {
	t.Helper()
	pg := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: name,
		Env: []string{"POSTGRES_PASSWORD=refuse-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.volume": vol,
			rig.RunLabel: w.run}})
	rig.Psql(t, dc, pg, "postgres", "app", seedSQL)
	return pg
}

// writeNote puts the note verify() reads into a volume, through the data mount.
func (w *pluginWorld) writeNote(vol string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.data, "volumes", vol, "note.txt"), []byte("written by a container\n"), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// TestPluginRefusingKeepsItsVolumes is issue 17.1 with the real engine: while the
// plugin refuses to start (BT_CRON=hourly), `docker run -v NAME:/x` is refused
// with the reason instead of getting a new local volume NAME, the engine still
// says the volume is the plugin's, the HTTP API answers 503 with the reason
// (17.5), and once the setting is fixed the volume, its archives and the backups
// are as before.
func TestPluginRefusingKeepsItsVolumes(t *testing.T) {
	w, dc := newLocalPlugin(t, "refuse")
	vol := "kept-" + w.run
	w.docker("volume", "create", "-d", w.alias, vol)
	w.archives[vol] = nil
	pg := labelledPostgres(t, w, dc, "refuse-pg", vol)
	w.runNow(pg)
	w.newArchive(vol, "before the bad setting")
	w.writeNote(vol)
	w.verify("before the bad setting")

	w.docker("plugin", "disable", "-f", w.alias)
	w.docker("plugin", "set", w.alias, "BT_CRON=hourly")
	w.docker("plugin", "enable", w.alias)
	if h := w.health(http.StatusServiceUnavailable); !strings.Contains(h.Body, "BT_CRON") {
		t.Fatalf("/health with BT_CRON=hourly: %s", h.Body)
	}

	// The repro: the mount is refused with the reason, and the engine
	// neither creates a local volume of that name nor forgets whose volume it is.
	out, err := w.sh([]string{vol + ":/x"}, "touch /x/f && echo WROTE")
	if err == nil || strings.Contains(out, "WROTE") || !strings.Contains(err.Error(), "baktainer plugin cannot start: BT_CRON") {
		t.Fatalf("docker run -v %s:/x on the refusing plugin: %v %q", vol, err, out)
	}
	t.Logf("docker run -v %s:/x on the refusing plugin: %v", vol, err)
	if driver := strings.TrimSpace(w.docker("volume", "inspect", "-f", "{{.Driver}}", vol)); driver != w.alias+":latest" {
		t.Fatalf("volume %s's driver after a refused mount: %q", vol, driver)
	}
	if local := w.docker("volume", "ls", "-q", "--filter", "driver=local"); strings.Contains("\n"+local+"\n", "\n"+vol+"\n") {
		t.Fatalf("the engine created a local volume %s", vol)
	}
	if status := w.docker("volume", "inspect", "-f", "{{json .Status}}", vol); !strings.Contains(status, "BT_CRON") {
		t.Errorf("docker volume inspect does not say why %s cannot be mounted: %s", vol, status)
	}
	if _, err := rig.TryDockerCLI(w.host, "", "volume", "rm", vol); err == nil || !strings.Contains(err.Error(), "baktainer plugin cannot start") {
		t.Fatalf("docker volume rm on the refusing plugin: %v", err)
	}
	if _, err := rig.TryDockerCLI(w.host, "", "volume", "create", "-d", w.alias, "new-"+w.run); err == nil || !strings.Contains(err.Error(), "BT_CRON") {
		t.Fatalf("docker volume create on the refusing plugin: %v", err)
	}
	// 17.5: the API says why, and so does `backup --via`.
	for _, path := range []string{"/api/v1/targets", "/api/v1/backups", "/status"} {
		if code, body := w.get(path, nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "BT_CRON") {
			t.Errorf("GET %s on the refusing plugin: %d %s", path, code, body)
		}
	}
	if _, errOut, code := runBaktainer(t, nil, "backup", pg, "--via", w.url("")); code == 0 || !strings.Contains(errOut, "BT_CRON") {
		t.Errorf("backup --via the refusing plugin: exit %d: %s", code, errOut)
	}

	w.docker("plugin", "disable", "-f", w.alias)
	w.docker("plugin", "set", w.alias, "BT_CRON=0 0 * * *")
	w.docker("plugin", "enable", w.alias)
	w.verify("after the setting was fixed")
	w.runNow(pg)
	w.newArchive(vol, "after the setting was fixed")
	w.verify("after a backup with the setting fixed")
}
