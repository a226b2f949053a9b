//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// quickStart is README.md's Quick start, read from the README itself.
type quickStart struct {
	setup, localBuild, use []string // the sh blocks' commands
	compose                string
	check                  string // the inline `docker run ... sha256sum -c` command
}

// readQuickStart reads the Quick start section's blocks: the setup commands,
// the compose file, the commands after it, and the local build's commands.
func readQuickStart(t *testing.T) quickStart {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rig.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Quick start: the Docker plugin\n")
	if !ok {
		t.Fatal("README.md has no \"## Quick start: the Docker plugin\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var qs quickStart
	var sh [][]string
	for _, m := range regexp.MustCompile("(?s)```(sh|yaml)\n(.*?)```").FindAllStringSubmatch(section, -1) {
		if m[1] == "yaml" {
			qs.compose = m[2]
			continue
		}
		var lines []string
		for _, line := range strings.Split(m[2], "\n") {
			if line = strings.TrimSpace(line); line != "" {
				lines = append(lines, line)
			}
		}
		sh = append(sh, lines)
	}
	check := regexp.MustCompile("`(docker run --rm -v pg-backups:[^`]*sha256sum -c[^`]*)`").FindStringSubmatch(section)
	if len(sh) < 3 || qs.compose == "" || check == nil {
		t.Fatalf("README's Quick start changed shape (%d sh blocks, compose %t, check %v): update this test with it", len(sh), qs.compose != "", check)
	}
	qs.setup, qs.use, qs.localBuild, qs.check = sh[0], sh[1], sh[2], check[1]
	return qs
}

// composeFile is the part of a compose file the Quick start uses.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Secrets     []string          `yaml:"secrets"`
		Labels      map[string]string `yaml:"labels"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// TestReadmeQuickStart (issue 17.11) walks README.md's Quick start as written,
// against the plugin on the second daemon, so the docs cannot drift from what
// happens: the local build's commands install it, the setup's commands answer
// as their comments say, the compose file (run as `docker run`: the engine here
// has no compose) gets a labelled database backed up through `baktainer backup
// NAME --via`, the archive lands where the README says on the host, and the
// README's check passes in a container that mounts the volume. Only what ties
// the walk to this test's world is changed: the data directory, the API's
// port, the Docker socket, the volume's name, the images (no registry here),
// and the test's selector.
func TestReadmeQuickStart(t *testing.T) {
	qs := readQuickStart(t)
	run := rig.RunID()
	host := rig.SecondDocker(t, rig.PostgresImage)
	w := &pluginWorld{t: t, run: run, host: host, alias: "baktainer", healthPort: rig.FreePort(t),
		data:     filepath.Join("/var/lib/baktainer-test-data", "quickstart-"+run),
		archives: map[string][]string{}, sums: map[string]string{}}
	vol := "pg-backups-" + run
	settings := fmt.Sprintf("BT_HEALTH_PORT=%d BT_SELECTOR=%s=%s", w.healthPort, rig.RunLabel, run)
	sub := strings.NewReplacer("/var/lib/baktainer", w.data, "127.0.0.1:8080", fmt.Sprintf("127.0.0.1:%d", w.healthPort),
		"/var/run/docker.sock", w.socket(), "pg-backups", vol, "debian:bookworm-slim", rig.PostgresImage,
		"docker plugin enable baktainer", "docker plugin set baktainer "+settings+" && docker plugin enable baktainer")
	w.cleanup()
	t.Cleanup(w.cleanup)
	sh := func(line string) string {
		t.Helper()
		cmdline, _, _ := strings.Cut(sub.Replace(line), "  #")
		if rest, ok := strings.CutPrefix(cmdline, "baktainer "); ok {
			cmdline = baktainerBinary(t) + " " + rest
		}
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Dir = rig.RepoRoot()
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("README: %s\n(run as: %s): %v\n%s%s%s", line, cmdline, err, out, stderr.String(), w.pluginLog())
		}
		return string(out)
	}

	// "From a local build": no registry; the setup's install line is its stand-in.
	for _, line := range qs.localBuild {
		sh(line)
	}
	for _, line := range qs.setup {
		switch out := ""; {
		case strings.HasPrefix(line, "docker plugin install"):
		case strings.HasPrefix(line, "curl -s 127.0.0.1:8080/health"):
			w.health(200)
			var h pluginHealth
			if out = sh(line); json.Unmarshal([]byte(out), &h) != nil || h.Status != "ok" {
				t.Fatalf("README: %s\nanswered %s", line, out)
			}
		default:
			sh(line)
		}
	}

	started := composeUp(t, w, qs.compose)
	for _, line := range qs.use {
		switch {
		case strings.HasPrefix(line, "docker compose up"): // composeUp did it
		case strings.HasPrefix(line, "baktainer backup shop --via"):
			if out := sh(line); !strings.HasPrefix(out, vol+":shop/") {
				t.Errorf("README: %s\nprinted %q, want the archive as %s:shop/...", line, out, vol)
			}
		case strings.HasPrefix(line, "curl -s 127.0.0.1:8080/api/v1/backups"):
			var atts []agent.Attempt
			if out := sh(line); json.Unmarshal([]byte(out), &atts) != nil || len(atts) != 1 || atts[0].Outcome != agent.Succeeded {
				t.Errorf("README: %s\nanswered %s", line, out)
			}
		default:
			t.Fatalf("README's Quick start has a command this test does not know: %s", line)
		}
	}
	archives, _ := filepath.Glob(filepath.Join(w.data, "volumes", vol, "shop", time.Now().UTC().Format("2006-01-02"), "shop-*.sql.zst"))
	if len(archives) != 1 {
		t.Fatalf("README says archives appear under %s/volumes/%s/shop/<YYYY-MM-DD>/: found %v (containers %v)", w.data, vol, archives, started)
	}
	if out := sh(qs.check); !strings.Contains(out, ": OK") {
		t.Errorf("README's check: %s\n%s", qs.check, out)
	}
	if opts := w.docker("volume", "inspect", "-f", "{{json .Status.options}}", vol); !strings.Contains(opts, `"retention.count":"14"`) {
		t.Errorf("the volume's options: %s", opts)
	}
}

// composeUp runs the compose file's services with `docker run` on the world's
// daemon, as `docker compose up -d` would (names <project>-<service>-1,
// secrets under /run/secrets), and returns the containers' names.
func composeUp(t *testing.T, w *pluginWorld, text string) []string {
	t.Helper()
	var cf composeFile
	if err := yaml.Unmarshal([]byte(strings.NewReplacer("pg-backups", "pg-backups-"+w.run).Replace(text)), &cf); err != nil {
		t.Fatalf("README's compose file: %v", err)
	}
	dir := t.TempDir()
	var names []string
	for svc, s := range cf.Services {
		name := "quickstart-" + svc + "-" + w.run
		args := []string{"run", "-d", "--name", name, "--label", rig.RunLabel + "=" + w.run}
		for k, v := range s.Environment {
			args = append(args, "-e", k+"="+v)
		}
		for k, v := range s.Labels {
			args = append(args, "--label", k+"="+v)
		}
		for _, v := range s.Volumes {
			args = append(args, "-v", v)
		}
		for _, secret := range s.Secrets {
			file := filepath.Join(dir, filepath.Base(cf.Secrets[secret].File))
			if err := os.WriteFile(file, []byte("quickstart-Secret-1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-v", file+":/run/secrets/"+secret+":ro")
		}
		if len(s.Command) > 0 {
			args = append(args, "--entrypoint", s.Command[0], rig.PostgresImage)
			args = append(args, s.Command[1:]...)
		} else {
			args = append(args, rig.PostgresImage) // for s.Image: no registry here
		}
		w.docker(args...)
		names = append(names, name)
		t.Cleanup(func() { _, _ = rig.TryDockerCLI(w.host, "", "rm", "-f", "-v", name) })
	}
	for _, name := range names {
		if strings.Contains(name, "-db-") {
			waitPostgres(t, w, name)
		}
	}
	return names
}

// waitPostgres waits until the Postgres in container name accepts connections.
func waitPostgres(t *testing.T, w *pluginWorld, name string) {
	t.Helper()
	w.waitFor(60*time.Second, func() string { return name + " does not accept connections" }, func() bool {
		_, err := rig.TryDockerCLI(w.host, "", "exec", name, "pg_isready", "--quiet", "-h", "127.0.0.1")
		return err == nil
	})
}
