//go:build integration

package integration

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// offsiteEngineContainers starts one labelled container of every engine, each
// carrying the run's label (so only this test's agent sees them), ready and
// with something in it, and returns their names and their password.
func offsiteEngineContainers(t *testing.T, dc *docker.Client, run string) ([]string, string) {
	t.Helper()
	type started struct {
		eng   engines.Engine
		image string
		env   []string
		drop  map[string]string
	}
	secret := engPassword("offsite")
	var names []string
	for _, s := range []started{
		{engines.Postgres{}, rig.PostgresImage, []string{pgScram}, nil},
		{engines.MariaDB{}, rig.MariaDBImage, nil, nil},
		{engines.MySQL{}, rig.MySQLImage, nil, map[string]string{labels.All: "true", labels.Database: ""}},
		{engines.Redis{}, rig.RedisImage, []string{"REDIS_PASSWORD=" + secret}, nil},
		{engines.SQLite{}, rig.SQLiteImage, nil, nil},
	} {
		pw := secret
		if s.eng.Name() == "redis" || s.eng.Name() == "sqlite" {
			pw = ""
		}
		spec, _ := engExample(t, s.eng, s.image, pw, s.env, s.drop)
		spec.Name = "offsite-" + s.eng.Name()
		spec.Labels[rig.RunLabel] = run
		names = append(names, rig.Start(t, dc, spec))
	}
	c := func(name string) enginetest.Container { return enginetest.Container{Name: name, Secret: secret} }
	pgReady(dc)(t, c(names[0]))
	rig.Psql(t, dc, names[0], "postgres", "app", seedSQL, "PGPASSWORD="+secret)
	mysqlReady(dc)(t, c(names[1]))
	mysqlReady(dc)(t, c(names[2]))
	rig.WaitRedis(t, dc, names[3])
	rig.RedisCLI(t, dc, names[3], secret, nil, "SET", "k", "v")
	rig.Exec(t, dc, names[4], nil, nil, "chown", rig.SQLiteUser, "/data")
	rig.SQLite(t, dc, names[4], sqliteDB, sqliteSeedSQL)
	return names, secret
}

// offsiteAgentSettings are the BT_S3_* settings of bucket on s, the secret key
// through its _FILE variant.
func offsiteAgentSettings(t *testing.T, s *rig.S3, bucket, prefix string) map[string]string {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(secretFile, []byte(s.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"BT_S3_ENDPOINT": s.Endpoint(), "BT_S3_BUCKET": bucket, "BT_S3_PREFIX": prefix, "BT_S3_REGION": "us-east-1",
		"BT_S3_ACCESS_KEY": s.AccessKey, "BT_S3_SECRET_KEY_FILE": secretFile, "BT_S3_INSECURE": "true",
	}
}

// runNowAndWait queues a backup of container and waits for its end.
func (ta *testAgent) runNowAndWait(t *testing.T, container string) agent.Attempt {
	t.Helper()
	waitUntil(t, 60*time.Second, func() string { return container + " not registered" }, func() bool {
		_, ok := ta.target(container)
		return ok
	})
	att, err := ta.RunNow(container)
	if err != nil {
		t.Fatalf("RunNow(%s): %v", container, err)
	}
	waitUntil(t, 3*time.Minute, func() string { return "the backup of " + container + " did not end" }, func() bool {
		att, _ = ta.Attempt(att.ID)
		return att.Outcome.Final()
	})
	return att
}

// The agent copies the archive of every engine to a real S3 server (a large
// one while it is written, completed at the commit): a plain S3 client downloads archive and sidecars, and
// `sha256sum -c` passes on them; the remote retention (BT_S3_RETENTION_COUNT=2)
// keeps more than the local one (BT_RETENTION_COUNT=1), each on its own; and
// the bucket's credentials appear in no log line, /status, /metrics, API
// answer, history or notification.
func TestOffsiteAgentEveryEngine(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	names, secret := offsiteEngineContainers(t, dc, run)
	hooks := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	hookSrv := httptest.NewServer(hooks)
	defer hookSrv.Close()
	settings := offsiteAgentSettings(t, s3, bucket, "prod/db")
	settings["BT_CRON"], settings["BT_RETENTION_COUNT"], settings["BT_S3_RETENTION_COUNT"] = "@yearly", "1", "2"
	settings["BT_WEBHOOK_URL"], settings["BT_NOTIFY_SUCCESS"] = hookSrv.URL+"/hook", "true"
	ta := startAgent(t, dc, run, settings, nil)

	client := s3.Client(t)
	for _, name := range names {
		att := ta.runNowAndWait(t, name)
		if att.Outcome != agent.Succeeded || !att.Offsite.Succeeded() || !strings.HasPrefix(att.Offsite.URL, "s3://"+bucket+"/prod/db/"+att.Name+"/") {
			t.Fatalf("%s: attempt %+v, copy %+v\n%s", name, att, att.Offsite, ta.logs.String())
		}
		u, err := offsite.ParseURL(att.Offsite.URL)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		got := offsiteDownload(t, client, bucket, u.Key, dir)
		if out, err := exec.Command("sh", "-c", `cd "$1" && sha256sum -c "$2"`, "sh", dir, filepath.Base(got)+store.ChecksumExt).CombinedOutput(); err != nil ||
			!strings.Contains(string(out), filepath.Base(got)+": OK") {
			t.Fatalf("%s: sha256sum -c on the downloaded copy: %v\n%s", name, err, out)
		}
		for _, ext := range []string{"", store.MetaExt, store.ChecksumExt} {
			if !sameFile(t, att.Archive+ext, got+ext) {
				t.Errorf("%s: the copy of %s differs from the local file", name, filepath.Base(att.Archive+ext))
			}
		}
	}

	// Two more backups of Postgres, now large enough for a multipart copy
	// (over 16 MiB of archive), which goes while the archive is written: one
	// archive stays on the host, two off it.
	pg := names[0]
	rig.Psql(t, dc, pg, "postgres", "app", `CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)
		|| md5((g * 31)::text) AS v FROM generate_series(1, 400000) g;`, "PGPASSWORD="+secret)
	var pgName string
	for range 2 {
		time.Sleep(1100 * time.Millisecond) // a new second: a new archive name
		att := ta.runNowAndWait(t, pg)
		if !att.Offsite.Succeeded() || att.Pruned != 1 || !att.Offsite.WhileWriting || att.SizeBytes <= offsite.DefaultPartSize {
			t.Fatalf("a later backup of %s (%d bytes): pruned %d locally, copy %+v; want a copy made while writing", pg, att.SizeBytes, att.Pruned, att.Offsite)
		}
		u, err := offsite.ParseURL(att.Offsite.URL)
		if err != nil {
			t.Fatal(err)
		}
		got := offsiteDownload(t, client, bucket, u.Key, t.TempDir())
		for _, ext := range []string{"", store.MetaExt, store.ChecksumExt} {
			if !sameFile(t, att.Archive+ext, got+ext) {
				t.Errorf("the copy of %s made while writing differs from the local file", filepath.Base(att.Archive+ext))
			}
		}
		pgName = att.Name
	}
	local, err := store.List(t.Context(), ta.dir)
	if err != nil {
		t.Fatal(err)
	}
	remote, _ := offsiteRemote(t, s3.Settings(bucket, "prod/db"), offsite.Options{})
	listing, err := remote.List(context.Background(), pgName)
	if err != nil {
		t.Fatal(err)
	}
	if n := countNamed(local, pgName); n != 1 || len(listing.Copies) != 2 {
		t.Errorf("%s: %d local archives (want 1), %d remote copies (want 2)", pgName, n, len(listing.Copies))
	}

	offsiteCheckNoCredentials(t, ta, s3, hooks)
}

// offsiteCheckNoCredentials looks for the bucket's credentials everywhere the
// agent says something: its log, /status, /metrics, /health, the API, the
// history file and the notifications it sent.
func offsiteCheckNoCredentials(t *testing.T, ta *testAgent, s3 *rig.S3, hooks *receiver) {
	t.Helper()
	waitUntil(t, 30*time.Second, func() string { return "no notification arrived" }, func() bool { return len(hooks.got("/hook")) > 0 })
	places := map[string]string{"the log": ta.logs.String(), "the notifications": strings.Join(hooks.got("/hook"), "\n")}
	for _, path := range []string{"/status", "/metrics", "/health", "/api/v1/backups", "/api/v1/targets", "/"} {
		resp, err := http.Get(ta.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		places[path] = string(b)
	}
	history, err := os.ReadFile(filepath.Join(ta.state, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	places["the history"] = string(history)
	if !strings.Contains(places["/status"], `"offsite"`) || !strings.Contains(places["the history"], `"offsite"`) {
		t.Errorf("/status or the history says nothing of the copies")
	}
	for where, text := range places {
		offsiteNoSecrets(t, where, text, s3)
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}

func countNamed(archives []store.Archive, name string) int {
	n := 0
	for _, a := range archives {
		if a.Meta.Name == name {
			n++
		}
	}
	return n
}
