//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baktainer/baktainer/integration/rig"
)

// dockerAPIUsed is every Docker API call baktainer makes (package docker), as a
// socket proxy must allow them: docs/MIGRATING.md lists the same.
var dockerAPIUsed = []struct {
	method, path string // path after the optional /v1.NN prefix
}{
	{"GET HEAD", `/_ping`},
	{"GET", `/version`},
	{"GET", `/events`},
	{"GET", `/containers/json`},
	{"GET", `/containers/[^/]+/json`},
	{"GET", `/images/[^/]+/json`},
	{"POST", `/containers/[^/]+/exec`},
	{"POST", `/exec/[^/]+/start`},
	{"GET", `/exec/[^/]+/json`},
	{"POST", `/containers/[^/]+/restart`},
}

// filteringProxy forwards to the Docker socket only the calls in allowed and
// refuses (403) and records every other.
type filteringProxy struct {
	url     string
	mu      sync.Mutex
	used    map[string]bool
	refused []string
}

func newFilteringProxy(t *testing.T) *filteringProxy {
	t.Helper()
	upstream := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		upstream = strings.TrimPrefix(h, "unix://")
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", upstream)
	}}
	rp.FlushInterval = -1 // the events stream, as it comes
	p := &filteringProxy{used: map[string]bool{}}
	version := regexp.MustCompile(`^/v[0-9.]+`)
	paths := make([]*regexp.Regexp, len(dockerAPIUsed))
	for i, a := range dockerAPIUsed {
		paths[i] = regexp.MustCompile("^" + a.path + "$")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := version.ReplaceAllString(r.URL.Path, "")
		for i, a := range dockerAPIUsed {
			if slices.Contains(strings.Fields(a.method), r.Method) && paths[i].MatchString(path) {
				p.mu.Lock()
				p.used[a.method+" "+a.path] = true
				p.mu.Unlock()
				rp.ServeHTTP(w, r)
				return
			}
		}
		p.mu.Lock()
		p.refused = append(p.refused, r.Method+" "+path)
		p.mu.Unlock()
		http.Error(w, "refused by the test's socket proxy", http.StatusForbidden)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	p.url = "tcp://" + ln.Addr().String()
	return p
}

// #13: a socket proxy that lets through only the calls docs/MIGRATING.md lists
// (tecnativa/docker-socket-proxy style, reached as the Ruby tool's BT_DOCKER_URL
// says) is enough for `labels check`, `plan`, `backup`, `restore` and the agent:
// no call is refused, and the documented list is the one the test enforces.
func TestRubySocketProxy(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	proxy := newFilteringProxy(t)
	env := []string{"POSTGRES_PASSWORD=StrongPassword", "POSTGRES_DB=app"}
	set := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.name": "proxied", rig.RunLabel: run}
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ruby-proxy-src", Env: env, Labels: set})
	fresh := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "ruby-proxy-fresh", Env: env})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	want := pgDatabaseSnapshot(t, dc, src, "app", "StrongPassword")

	dir := t.TempDir()
	port := freePort(t)
	through := []string{"DOCKER_HOST=", "BT_DOCKER_URL=" + proxy.url, "BT_BACKUP_DIR=" + dir,
		"BT_SELECTOR=" + rig.RunLabel + "=" + run, "BT_HEALTH_PORT=" + port, "BT_REQUIRE_CONTAINER_LABELS=true"}
	for _, args := range [][]string{{"labels", "check", src}, {"plan"}} {
		if out, errOut, code := runBaktainer(t, through, args...); code != 0 {
			t.Fatalf("%v through the proxy: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	out, errOut, code := runBaktainer(t, through, "backup", src)
	archive := strings.TrimSpace(out)
	if code != 0 {
		t.Fatalf("backup through the proxy: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runBaktainer(t, through, "restore", archive, "--container", fresh); code != 0 {
		t.Fatalf("restore through the proxy: exit %d\n%s%s", code, out, errOut)
	}
	if got := pgDatabaseSnapshot(t, dc, fresh, "app", "StrongPassword"); got != want {
		t.Fatalf("restored through the proxy, the data differs:\n%s", legacyDiff(want, got))
	}
	p := startAgentProcess(t, through, port)
	if out, errOut, code := runBaktainer(t, nil, "backup", src, "--via", p.url); code != 0 {
		t.Fatalf("the agent's backup through the proxy: exit %d\n%s%s\n%s", code, out, errOut, p.logs.String())
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.refused) > 0 {
		t.Errorf("the proxy refused %v", proxy.refused)
	}
	for _, call := range []string{"GET /events", "POST /exec/[^/]+/start", "GET /containers/json"} {
		if !proxy.used[call] {
			t.Errorf("%s never went through the proxy (BT_DOCKER_URL not used?): %v", call, proxy.used)
		}
	}
	t.Logf("calls made through the proxy: %v", proxy.used)
	doc, err := os.ReadFile("../docs/MIGRATING.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dockerAPIUsed {
		if row := fmt.Sprintf("| `%s` | `%s` |", a.method, a.path); !strings.Contains(string(doc), row) {
			t.Errorf("docs/MIGRATING.md lacks the row %s", row)
		}
	}
}
