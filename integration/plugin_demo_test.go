//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
)

// demo runs scripts/demo.sh against the second daemon with the world's data
// directory and port; it returns the exit code and the combined output.
func (w *pluginWorld) demo(env []string, args ...string) (int, string) {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(rig.RepoRoot(), "scripts", "demo.sh"), args...)
	cmd.Env = append(os.Environ(), append([]string{"DOCKER_HOST=" + w.host, "BT_DEMO_DATA=" + w.data,
		fmt.Sprintf("BT_DEMO_PORT=%d", w.healthPort)}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), out.String()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return 0, out.String()
}

// TestDemoScript: issue 17.10's demo points, on the second daemon. A demo that
// cannot start shows the plugin's log lines; `make demo` then works, leaves
// BT_SELECTOR and BT_CRON set, and the commands it prints to clear them work;
// `demo.sh clean` removes the database with its anonymous volume.
func TestDemoScript(t *testing.T) {
	run := rig.RunID()
	host := rig.SecondDocker(t, rig.PostgresImage)
	w := &pluginWorld{t: t, run: run, host: host, alias: "baktainer", healthPort: rig.FreePort(t),
		data: filepath.Join("/var/lib/baktainer-test-data", "demo-"+run)}
	const db = "baktainer-demo-db"
	demoCleanup := func() {
		_, _ = rig.TryDockerCLI(host, "", "rm", "-f", "-v", db)
		w.cleanup()
		_, _ = rig.TryDockerCLI(host, "", "volume", "rm", "-f", "demo-backups")
	}
	demoCleanup()
	t.Cleanup(demoCleanup)
	logEnv := "BT_DEMO_DOCKERD_LOG=/var/log/baktainer-test-dockerd.log"

	code, out := w.demo([]string{"BT_DEMO_CRON=hourly", logEnv})
	_, log, _ := strings.Cut(out, "the plugin's last log lines")
	if code == 0 || !strings.Contains(log, "refusing every request") || !strings.Contains(log, "BT_CRON") {
		t.Fatalf("a demo whose plugin cannot start does not show the plugin's log: exit %d\n%s", code, out)
	}

	code, out = w.demo([]string{logEnv})
	if code != 0 {
		t.Fatalf("demo.sh: exit %d\n%s", code, out)
	}
	env := w.docker("plugin", "inspect", "-f", "{{json .Settings.Env}}", w.alias)
	if !strings.Contains(env, `"BT_SELECTOR=com.baktainer.demo=true"`) || !strings.Contains(env, `"BT_CRON=@every 1m"`) {
		t.Fatalf("the demo's settings: %s", env)
	}
	// The demo prints how to clear them; run that line as printed.
	var clear string
	for _, line := range strings.Split(out, "\n") {
		if _, cmd, ok := strings.Cut(line, "back up every labelled container: "); ok {
			clear = strings.TrimSpace(cmd)
		}
	}
	if clear == "" {
		t.Fatalf("the demo does not say how to clear its settings:\n%s", out)
	}
	if out, err := exec.Command("sh", "-c", "export DOCKER_HOST="+host+"; "+clear).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", clear, err, out)
	}
	env = w.docker("plugin", "inspect", "-f", "{{json .Settings.Env}}", w.alias)
	if !strings.Contains(env, `"BT_SELECTOR="`) || !strings.Contains(env, `"BT_CRON="`) {
		t.Fatalf("settings after %s: %s", clear, env)
	}
	w.health(http.StatusOK)

	anon := strings.Fields(w.docker("inspect", "-f", `{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}`, db))
	if len(anon) == 0 {
		t.Fatalf("the demo database has no anonymous volume to check")
	}
	if code, out := w.demo(nil, "clean"); code != 0 {
		t.Fatalf("demo.sh clean: exit %d\n%s", code, out)
	}
	volumes := w.docker("volume", "ls", "-q")
	for _, v := range anon {
		if strings.Contains(volumes, v) {
			t.Errorf("demo.sh clean left the database's anonymous volume %s", v)
		}
	}
}
