//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// TestAgentKeepsBackingUpBesideHostileNeighbours (issue #11's acceptance): while
// one container labels its password file /dev/zero, another mounts the backup
// volume and plants a link where a third target's archives go, a FIFO named like a
// sidecar and a forged archive dated 2099 beside a good target's archives, the
// agent keeps answering /health and /status promptly, keeps backing up the good
// target on schedule (its retention going on past the planted files, never removing
// the archive it just wrote or anything it did not write), and
// fails only the hostile targets, each with an error that names what it refused.
func TestAgentKeepsBackingUpBesideHostileNeighbours(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "0"}, nil)
	good, linked := "good-"+run, "linked-"+run
	today := time.Now().UTC().Format("2006-01-02")

	elsewhere := t.TempDir() // where the planted link points: another volume's path on the host
	planter := rig.Start(t, dc, rig.ContainerSpec{Name: "neighbour-planter", Image: rig.SQLiteImage,
		Binds: []string{ta.dir + ":/vol"}, Cmd: []string{"sleep", "600"}})
	forged := "/vol/" + good + "/2099-01-01/" + good + "-20990101T000000Z.db.zst"
	rig.Exec(t, dc, planter, nil, nil, "sh", "-c", strings.Join([]string{
		"mkdir -p /vol/" + good + "/" + today + " /vol/" + good + "/2099-01-01",
		"ln -s " + elsewhere + " /vol/" + linked,
		"mkfifo /vol/" + good + "/" + today + "/" + good + "-" + time.Now().UTC().Add(-time.Hour).Format("20060102T150405Z") + ".db.zst.json",
		"echo forged >" + forged,
		"sha256sum " + forged + " | sed 's| .*/| |' >" + forged + ".sha256",
		`printf '{"format":1,"name":"` + good + `","created":"2099-01-01T00:00:00Z"}' >` + forged + ".json",
	}, " && "))

	sqlite := func(name string, extra map[string]string) string {
		set := map[string]string{labels.Backup: "true", labels.Engine: "sqlite", labels.Database: "/data/app.db",
			labels.Name: name, labels.Schedule: "@every 3s", labels.KeepCount: "2", rig.RunLabel: run}
		for k, v := range extra {
			set[k] = v
		}
		c := rig.Start(t, dc, rig.ContainerSpec{Name: "neighbour-" + strings.TrimSuffix(name, "-"+run), Image: rig.SQLiteImage, Labels: set})
		rig.Exec(t, dc, c, nil, nil, "chown", rig.SQLiteUser, "/data")
		rig.SQLite(t, dc, c, "/data/app.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
		return c
	}
	sqlite(good, nil)
	sqlite(linked, nil)
	zero := rig.Start(t, dc, rig.ContainerSpec{Name: "neighbour-zero", Image: rig.PostgresImage,
		Env: []string{"POSTGRES_PASSWORD=zero-" + run},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", rig.RunLabel: run,
			labels.PasswordFile: "/dev/zero", labels.Schedule: "@every 3s"}})

	probe := startHealthProbe(t, ta.url)
	waitUntil(t, 3*time.Minute, func() string { return "the good target has not been backed up 3 times; logs:\n" + ta.logs.String() }, func() bool {
		return count(ta.attempts(good), agent.Succeeded) >= 3 && len(ta.attempts(linked)) > 0 && len(ta.attempts(zero)) > 0
	})
	probe.stopAndCheck(t, good)

	atts := ta.attempts(good)
	newest := atts[0]
	if newest.Outcome != agent.Succeeded {
		t.Fatalf("the good target's newest attempt: %+v", newest)
	}
	if _, err := os.Stat(newest.Archive); err != nil {
		t.Errorf("the archive the good target's newest backup wrote is gone: %v", err)
	}
	// Retention goes on past what it cannot trust (reported, left alone): count=2.
	if kept, _ := filepath.Glob(filepath.Join(ta.dir, good, today, "*.sqlite.zst")); len(kept) > 2 {
		t.Errorf("retention (count 2) kept %d archives beside the planted files: %v", len(kept), kept)
	}
	if _, err := os.Stat(filepath.Join(ta.dir, strings.TrimPrefix(forged, "/vol/"))); err != nil {
		t.Errorf("the forged archive was removed (nothing baktainer did not write may be deleted): %v", err)
	}
	if files := rig.ListFiles(t, elsewhere); len(files) != 0 {
		t.Errorf("archives were written through the planted link: %v", files)
	}
	for _, c := range []struct{ name, want string }{{linked, "symbolic link"}, {zero, labels.PasswordFile}} {
		atts := ta.attempts(c.name)
		if count(atts, agent.Succeeded) != 0 || !strings.Contains(atts[0].Error, c.want) {
			t.Errorf("%s: attempts %+v; want failures naming %q", c.name, atts, c.want)
		}
	}
}

// healthProbe asks /health and /status every 200ms while the agent works and
// records the slowest answer and any failed check that is not a hostile target's.
type healthProbe struct {
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	slowest time.Duration
	asked   int
	bad     []string
}

func startHealthProbe(t *testing.T, url string) *healthProbe {
	p := &healthProbe{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	go func() {
		defer close(p.done)
		for {
			for _, path := range []string{"/health", "/status"} {
				p.ask(client, url+path)
			}
			select {
			case <-p.stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return p
}

func (p *healthProbe) ask(client *http.Client, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked++
	p.slowest = max(p.slowest, took)
	if err != nil {
		p.bad = append(p.bad, url+": "+err.Error())
		return
	}
	defer resp.Body.Close()
	if !strings.HasSuffix(url, "/health") {
		return
	}
	var h agent.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		p.bad = append(p.bad, url+": "+err.Error())
		return
	}
	for _, c := range h.Checks {
		if !c.OK && (c.Check != "target" || strings.HasPrefix(c.Subject, "good-")) {
			p.bad = append(p.bad, c.Check+" "+c.Subject+": "+c.Detail)
		}
	}
}

// stopAndCheck ends the probe and fails the test if an answer took over 2s, a
// request failed, or a check other than a hostile target's failed.
func (p *healthProbe) stopAndCheck(t *testing.T, good string) {
	t.Helper()
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("/health and /status asked %d times, slowest answer %s", p.asked, p.slowest.Round(time.Millisecond))
	if p.slowest > 2*time.Second {
		t.Errorf("an answer of /health or /status took %s", p.slowest)
	}
	if len(p.bad) > 0 {
		t.Errorf("%d bad answers while hostile neighbours ran beside %s, first: %s", len(p.bad), good, p.bad[0])
	}
}
