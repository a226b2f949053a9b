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
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// nodePlugin is the baktainer plugin on one swarm node, reached from the host
// through its HTTP server (BT_HEALTH_BIND=0.0.0.0 in the node's network).
type nodePlugin struct {
	t     *testing.T
	swarm *rig.Swarm
	node  int
	base  string // http://NODE_IP:PORT
}

func newNodePlugin(t *testing.T, s *rig.Swarm, node, port int) *nodePlugin {
	return &nodePlugin{t: t, swarm: s, node: node, base: fmt.Sprintf("http://%s:%d", s.NodeIP(node), port)}
}

// request sends one request and decodes a JSON answer into out (when not nil);
// status 0 when the plugin does not answer.
func (p *nodePlugin) request(method, path string, body any, out any) (int, string) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, r)
	if err != nil {
		p.t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if out != nil && json.Unmarshal(b, out) != nil {
		return 0, string(b)
	}
	return resp.StatusCode, string(b)
}

// health waits until /health answers 200 and returns the plugin's version.
func (p *nodePlugin) health() string {
	p.t.Helper()
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var h pluginHealth
		code, body := p.request(http.MethodGet, "/health", nil, &h)
		if code == http.StatusOK && h.Status == "ok" {
			return h.Version
		}
		last = fmt.Sprintf("%d %s", code, body)
	}
	p.t.Fatalf("node %d: /health never answered 200 ok: last %s\n%s", p.node, last, p.log())
	return ""
}

// backup asks the plugin's agent for a backup of container now (retrying
// while the agent has not seen the container yet: 404) and waits until the
// attempt ends; it returns the final attempt.
func (p *nodePlugin) backup(container string) agent.Attempt {
	p.t.Helper()
	var att agent.Attempt
	var code int
	var body string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		att = agent.Attempt{}
		code, body = p.request(http.MethodPost, "/api/v1/backups", agent.BackupRequest{Container: container}, &att)
		if code == http.StatusAccepted {
			break
		}
		if code != http.StatusNotFound || time.Now().After(deadline) {
			p.t.Fatalf("node %d: POST /api/v1/backups %s: %d %s\n%s", p.node, container, code, body, p.log())
		}
	}
	for deadline := time.Now().Add(3 * time.Minute); !att.Outcome.Final(); time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("node %d: backup %s still %s after 3m\n%s", p.node, att.ID, att.Outcome, p.log())
		}
		if code, body := p.request(http.MethodGet, "/api/v1/backups/"+att.ID, nil, &att); code != http.StatusOK {
			p.t.Fatalf("node %d: GET /api/v1/backups/%s: %d %s", p.node, att.ID, code, body)
		}
	}
	return att
}

// log is the plugin's lines in the node's dockerd log.
func (p *nodePlugin) log() string {
	return "plugin log on node " + fmt.Sprint(p.node) + ":\n" + p.swarm.NodeLog(p.node, "plugin=")
}

// nodeArchives lists the committed archives of a backup volume on a node, as
// host paths (the node's /var/lib/baktainer is a host directory).
func nodeArchives(t *testing.T, s *rig.Swarm, node int, vol string) []string {
	t.Helper()
	list, err := store.List(context.Background(), filepath.Join(s.NodeData(node), "volumes", vol))
	if err != nil {
		t.Fatalf("archives of volume %s on node %d: %v", vol, node, err)
	}
	var paths []string
	for _, a := range list {
		paths = append(paths, a.Path)
	}
	return paths
}

// restoreInto runs `baktainer restore ARCHIVE --container NAME` against a node
// and fails the test with its output when it fails.
func restoreInto(t *testing.T, s *rig.Swarm, node int, archive, container string) {
	t.Helper()
	out, errOut, code := runBaktainer(t, []string{"DOCKER_HOST=" + s.NodeHost(node)}, "restore", archive, "--container", container)
	if code != 0 {
		t.Fatalf("baktainer restore %s --container %s on node %d: exit %d\n%s%s", archive, container, node, code, out, errOut)
	}
}

// sameTables fails the test unless got has exactly want's tables, row for row.
func sameTables(t *testing.T, phase string, want, got map[string]string) {
	t.Helper()
	if len(want) != 3 {
		t.Fatalf("%s: the source has tables %v, want the 3 seeded ones", phase, keys(want))
	}
	if len(got) != len(want) {
		t.Errorf("%s: tables %v, want %v", phase, keys(got), keys(want))
	}
	for table, rows := range want {
		if got[table] != rows {
			t.Errorf("%s: table %s differs (%d vs %d bytes)", phase, table, len(got[table]), len(rows))
		}
	}
}

// stackFile is the compose file of docs/PLUGIN.md's Swarm services section,
// written to dir: the test deploys the stack the documentation shows.
func stackFile(t *testing.T, dir string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(docsDir(), "PLUGIN.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Swarm services\n")
	_, block, ok2 := strings.Cut(section, "\n```yaml\n")
	yaml, _, ok3 := strings.Cut(block, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/PLUGIN.md has no ```yaml block under \"## Swarm services\"")
	}
	path := filepath.Join(dir, "app.yml")
	if err := os.WriteFile(path, []byte(yaml+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// deployStack runs `docker stack deploy` of file on the manager with env (it
// returns once the services exist; their tasks start in the background).
func deployStack(t *testing.T, s *rig.Swarm, file, stack string, env ...string) {
	t.Helper()
	cmd := exec.Command("docker", "-H", s.Manager(), "stack", "deploy", "-c", file, stack)
	cmd.Dir = filepath.Dir(file)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker stack deploy -c %s %s: %v\n%s", file, stack, err, out)
	}
}

// swarmOffsiteSettings makes the S3 server reachable from every node (relayed
// on the swarm's gateway), writes its credentials into each node's
// /var/lib/baktainer, the plugin's data mount, and returns the plugin settings
// that copy archives there: the credentials by file, never in a setting's
// value (which `docker plugin inspect` shows) nor in the rollout's arguments.
func swarmOffsiteSettings(t *testing.T, s *rig.Swarm, s3 *rig.S3, bucket string) []string {
	t.Helper()
	for n := 1; n <= s.Nodes(); n++ {
		dir := filepath.Join(s.NodeData(n), "s3")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for file, value := range map[string]string{"access-key": s3.AccessKey, "secret-key": s3.SecretKey} {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(value+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []string{"BT_S3_ENDPOINT=" + s.Expose(s3.Endpoint()), "BT_S3_BUCKET=" + bucket, "BT_S3_PREFIX=swarm",
		"BT_S3_REGION=us-east-1", "BT_S3_INSECURE=true",
		"BT_S3_ACCESS_KEY_FILE=/data/s3/access-key", "BT_S3_SECRET_KEY_FILE=/data/s3/secret-key"}
}

// drillFromBucket is the restore of the disaster drill: the three commands
// docs/OFFSITE.md gives, run on a machine that is not a node (the test's host)
// with the S3 credentials and DOCKER_HOST of the node the service now runs on.
// list must show the copy, verify must pass, restore streams it from the
// bucket into the container.
func drillFromBucket(s3 *rig.S3, bucket, copied string) func(t *testing.T, s *rig.Swarm, node int, container string) {
	return func(t *testing.T, s *rig.Swarm, node int, container string) {
		t.Helper()
		env := offsiteCLIEnv(s3, "DOCKER_HOST="+s.NodeHost(node))
		for _, args := range [][]string{
			{"list", "s3://" + bucket + "/swarm"},
			{"verify", copied},
			{"restore", copied, "--container", container},
		} {
			out, errOut, code := runBaktainer(t, env, args...)
			t.Logf("baktainer %s:\n%s%s", strings.Join(args, " "), out, errOut)
			if code != 0 || (args[0] == "list" && !strings.Contains(out, copied)) {
				t.Fatalf("baktainer %s on node %d: exit %d\n%s%s", strings.Join(args, " "), node, code, out, errOut)
			}
			offsiteNoSecrets(t, "baktainer "+args[0], out+errOut, s3)
		}
	}
}
