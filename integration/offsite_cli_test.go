//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// offsiteCLIEnv is the environment of a CLI on a new host: the S3 server and
// credentials, no bucket or prefix (the s3:// address gives them).
func offsiteCLIEnv(s *rig.S3, extra ...string) []string {
	return append([]string{"BT_S3_ENDPOINT=" + s.Endpoint(), "BT_S3_ACCESS_KEY=" + s.AccessKey, "BT_S3_SECRET_KEY=" + s.SecretKey,
		"BT_S3_INSECURE=true", "BT_S3_REGION=us-east-1"}, extra...)
}

// The three commands of a restore on a new host, against a real S3 server and
// real Postgres: `list s3://BUCKET/PREFIX --json` lists the copy, `verify`
// (and `verify --deep` with the key) streams and checks it, `restore s3://...`
// streams it from the bucket into a fresh container, every row back. A copy
// changed in the bucket fails verify, and its restore rolls back, leaving no
// table behind. No credential in any output.
func TestOffsiteCLI(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "offsite-cli-src",
		Env:    []string{"POSTGRES_PASSWORD=src-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", labels.Database: "app", rig.RunLabel: run}})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)
	want := tableContents(t, dc, src)

	// An encrypted backup of it, copied to the bucket as the agent does.
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc, err := store.RecipientEncryption("test", []string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	target, eng, err := agent.Resolve(context.Background(), dc, engines.Default(), src)
	if err != nil {
		t.Fatal(err)
	}
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	res, err := agent.RunBackup(context.Background(), dc, logrus.NewEntry(quiet), agent.Job{Target: target, Engine: eng, Root: t.TempDir(),
		Options: store.Options{Compression: store.Zstd, Encryption: enc}})
	if err != nil {
		t.Fatal(err)
	}
	remote, _ := offsiteRemote(t, s3.Settings(bucket, "prod"), offsite.Options{})
	up, err := remote.Upload(context.Background(), res.Path)
	if err != nil {
		t.Fatal(err)
	}

	// 1. list
	out, errOut, code := runBaktainer(t, offsiteCLIEnv(s3), "list", "s3://"+bucket+"/prod", "--json")
	var listed []struct{ Path, Name, Engine, SHA256 string }
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 || listed[0].Path != up.URL || listed[0].SHA256 != res.Meta.SHA256 {
		t.Fatalf("list: exit %d, %s%s", code, out, errOut)
	}
	// 2. verify, and verify --deep
	out, errOut, code = runBaktainer(t, offsiteCLIEnv(s3), "verify", up.URL)
	if code != 0 || !strings.Contains(out, "OK    "+up.URL) {
		t.Fatalf("verify: exit %d, %s%s", code, out, errOut)
	}
	out, errOut, code = runBaktainer(t, offsiteCLIEnv(s3), "verify", "--deep", "--identity", keyFile, up.URL)
	if code != 0 || !strings.Contains(out, "postgres dump complete") {
		t.Fatalf("verify --deep: exit %d, %s%s", code, out, errOut)
	}
	// 3. restore, streamed from the bucket
	fresh := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "offsite-cli-fresh", Env: []string{"POSTGRES_PASSWORD=fresh-Secret-2", "POSTGRES_DB=app"}})
	out, errOut, code = runBaktainer(t, offsiteCLIEnv(s3), "restore", up.URL, "--container", fresh, "--identity", keyFile)
	if code != 0 || !strings.Contains(out, "every table holds the rows the dump held") {
		t.Fatalf("restore: exit %d, %s%s", code, out, errOut)
	}
	sameTables(t, "restored from the bucket", want, tableContents(t, dc, fresh))
	offsiteNoSecrets(t, "the CLI's output", out+errOut, s3)

	// A copy changed in the bucket: verify fails, the restore rolls back.
	offsiteTamper(t, s3.Client(t), bucket, strings.TrimPrefix(up.URL, "s3://"+bucket+"/"))
	out, errOut, code = runBaktainer(t, offsiteCLIEnv(s3), "verify", up.URL)
	if code != 1 || !strings.Contains(out, "FAIL  "+up.URL) || !strings.Contains(out, "checksum") {
		t.Fatalf("verify of a changed copy: exit %d, %s%s", code, out, errOut)
	}
	other := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "offsite-cli-other", Env: []string{"POSTGRES_PASSWORD=other-Secret-3", "POSTGRES_DB=app"}})
	out, errOut, code = runBaktainer(t, offsiteCLIEnv(s3), "restore", up.URL, "--container", other, "--identity", keyFile)
	if code != 1 || !strings.Contains(errOut, "restore") {
		t.Fatalf("restore of a changed copy: exit %d, %s%s", code, out, errOut)
	}
	if tables := strings.TrimSpace(rig.Psql(t, dc, other, "postgres", "app",
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")); tables != "0" {
		t.Errorf("the failed restore left %s tables: it must roll back\n%s", tables, errOut)
	}
}
