//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// seedSQL covers what a plain-SQL dump must carry faithfully: non-ASCII text, NULLs,
// binary data, awkward identifiers and quoting, and more than 10k rows.
const seedSQL = `
CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, note text, born date, score numeric(10,2));
INSERT INTO people (name, note, born, score)
  SELECT 'name-' || g || ' Ünïcødé ✓ 東京 🐘', CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || g END,
         date '2000-01-01' + g, g * 1.5
  FROM generate_series(1, 12000) g;
CREATE TABLE blobs (id int PRIMARY KEY, data bytea, nothing text);
INSERT INTO blobs SELECT g, decode(md5(g::text) || md5((g * 3)::text), 'hex') || '\x00ff00'::bytea, NULL
  FROM generate_series(1, 500) g;
CREATE TABLE "Mixed Case" (id int, "quoted col" text);
INSERT INTO "Mixed Case" VALUES (1, E'tab\there'), (2, E'new\nline'), (3, 'quote''s'), (4, NULL), (5, E'back\\slash');
`

func TestPostgresRoundTrip(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "pg-src",
		Env:  []string{"POSTGRES_PASSWORD=src-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{
			"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run,
		},
	})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)

	// Discover it the way the agent does, then back it up.
	found, err := agent.ListTargets(context.Background(), dc, rig.RunLabel+"="+run)
	if err != nil || len(found) != 1 || found[0].Name != src {
		t.Fatalf("ListTargets = %v, %v; want just %s", found, err, src)
	}
	dir := t.TempDir()
	res := backup(t, dc, src, dir)
	if res.Meta.Database != "app" || res.Meta.Engine != "postgres" || res.Meta.Size == 0 {
		t.Errorf("metadata = %+v", res.Meta)
	}

	// Stock tools open it: sha256sum -c on the sidecar, zstd -d for the SQL.
	rig.Run(t, nil, "sh", "-c", `cd "$(dirname "$1")" && sha256sum -c "$(basename "$1").sha256"`, "sh", res.Path)
	sql := rig.Run(t, nil, rig.Tool(t, "zstd"), "-dc", res.Path)
	if !bytes.Contains(sql, []byte("CREATE TABLE public.people")) || !bytes.Contains(sql, []byte("東京")) {
		t.Fatalf("zstd -d output does not look like the dump (%d bytes)", len(sql))
	}

	// Restore into a fresh container and compare every table.
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "pg-dst", Env: []string{"POSTGRES_PASSWORD=dst-Secret-2", "POSTGRES_DB=app"},
	})
	restore(t, dc, res.Path, dst)
	want, got := tableContents(t, dc, src), tableContents(t, dc, dst)
	if len(want) != 3 {
		t.Fatalf("source has tables %v, want 3", keys(want))
	}
	for table, content := range want {
		if got[table] != content {
			t.Errorf("table %s differs after restore (%d bytes before, %d after)", table, len(content), len(got[table]))
		}
	}
	if rows := strings.Count(want["public.people"], "\n"); rows < 10000 {
		t.Errorf("people has %d rows, want > 10000", rows)
	}
}

func TestPostgresBadCredentialsLeaveNothing(t *testing.T) {
	dc := rig.Docker(t)
	// Local connections authenticate by password here, as with
	// POSTGRES_INITDB_ARGS="--auth-local=scram-sha-256" on the official image.
	scram := []string{"POSTGRES_PASSWORD=right-Secret-3", "POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256"}
	wrongPassword := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "pg-wrongpw", Env: scram, Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres",
		"baktainer.db.password_file": "/tmp/db_password",
	}})
	rig.Exec(t, dc, wrongPassword, strings.NewReader("wrong-Secret-4\n"), nil, "tee", "/tmp/db_password")
	wrongUser := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "pg-wronguser", Env: scram[:1], Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.user": "nobody",
	}})
	wrongDB := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "pg-wrongdb", Env: scram[:1], Labels: map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.name": "nosuchdb",
	}})

	for _, tc := range []struct {
		container string
		want      []string // in the error message
	}{
		{wrongPassword, []string{"password authentication failed", "baktainer.db.password_file"}},
		{wrongUser, []string{`role "nobody" does not exist`, "label baktainer.db.user"}},
		{wrongDB, []string{`database "nosuchdb" does not exist`, "label baktainer.db.name"}},
	} {
		t.Run(tc.container, func(t *testing.T) {
			dir := t.TempDir()
			err := tryBackup(t, dc, tc.container, dir)
			if err == nil {
				t.Fatal("backup succeeded; want an error")
			}
			msg := err.Error()
			for _, want := range append(tc.want, "container "+tc.container, "pg_dump") {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			for _, secret := range []string{"right-Secret-3", "wrong-Secret-4"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q contains a password", msg)
				}
			}
			if files := rig.ListFiles(t, dir); len(files) != 0 {
				t.Errorf("a failed backup left files: %v", files)
			}
		})
	}
}

func backup(t *testing.T, dc *docker.Client, container, dir string) agent.Result {
	t.Helper()
	target, eng, err := agent.Resolve(context.Background(), dc, engines.Default(), container)
	if err != nil {
		t.Fatal(err)
	}
	res, err := agent.RunBackup(context.Background(), dc, testLog(t), agent.Job{
		Target: target, Engine: eng, Root: dir, Options: store.Options{Compression: store.Zstd},
	})
	if err != nil {
		t.Fatalf("backup of %s: %v", container, err)
	}
	if _, err := os.Stat(res.Path); err != nil || filepath.Dir(filepath.Dir(filepath.Dir(res.Path))) != dir {
		t.Fatalf("archive %s: %v (want under %s/<name>/<day>/)", res.Path, err, dir)
	}
	return res
}

func tryBackup(t *testing.T, dc *docker.Client, container, dir string) error {
	t.Helper()
	target, eng, err := agent.Resolve(context.Background(), dc, engines.Default(), container)
	if err != nil {
		return err
	}
	_, err = agent.RunBackup(context.Background(), dc, testLog(t), agent.Job{
		Target: target, Engine: eng, Root: dir, Options: store.Options{Compression: store.Zstd},
	})
	return err
}

func restore(t *testing.T, dc *docker.Client, archive, container string) {
	t.Helper()
	if err := store.VerifyChecksum(context.Background(), archive); err != nil {
		t.Fatal(err)
	}
	r, err := store.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := dc.Inspect(context.Background(), container)
	if err != nil {
		t.Fatal(err)
	}
	if err := (engines.Postgres{}).Restore(context.Background(), dc, engines.Target{Container: c}, r); err != nil {
		t.Fatalf("restore into %s: %v", container, err)
	}
}

// tableContents returns every table of the app database in COPY text form, ordered
// by its first column, keyed by schema-qualified name.
func tableContents(t *testing.T, dc *docker.Client, container string) map[string]string {
	t.Helper()
	tables := rig.Psql(t, dc, container, "postgres", "app",
		`SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
		 WHERE table_schema = 'public' ORDER BY 1`)
	out := map[string]string{}
	for _, table := range strings.Split(strings.TrimSpace(tables), "\n") {
		out[table] = rig.Psql(t, dc, container, "postgres", "app", "COPY (SELECT * FROM "+table+" ORDER BY 1) TO STDOUT")
	}
	return out
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func testLog(t *testing.T) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(testWriter{t})
	return logrus.NewEntry(l)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestPostgresEncryptedCLIRoundTrip drives the real binary the way a user does:
// keygen, backup to the public key (BT_ENCRYPTION_RECIPIENTS), then restore, which
// must refuse without the key, with a wrong key and for a tampered archive, and
// succeed with the identity file.
func TestPostgresEncryptedCLIRoundTrip(t *testing.T) {
	dc := rig.Docker(t)
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name:   "pg-enc-src",
		Env:    []string{"POSTGRES_PASSWORD=enc-Secret-5", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres"},
	})
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "pg-enc-dst", Env: []string{"POSTGRES_PASSWORD=x-Secret-6", "POSTGRES_DB=app"}})
	rig.Psql(t, dc, src, "postgres", "app", seedSQL)

	keys := t.TempDir()
	key, wrongKey := filepath.Join(keys, "key.txt"), filepath.Join(keys, "wrong.txt")
	recipient, stderr, code := runBaktainer(t, nil, "keygen", "--output", key)
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if _, stderr, code := runBaktainer(t, nil, "keygen", "--output", wrongKey); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	dir := t.TempDir()
	out, stderr, code := runBaktainer(t, []string{"BT_BACKUP_DIR=" + dir, "BT_ENCRYPTION_RECIPIENTS=" + strings.TrimSpace(recipient)}, "backup", src)
	archive := strings.TrimSpace(out)
	if code != 0 || !strings.HasSuffix(archive, ".sql.zst.age") {
		t.Fatalf("backup: exit %d, archive %q, %s", code, archive, stderr)
	}

	tampered := filepath.Join(t.TempDir(), filepath.Base(archive))
	for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
		data, err := os.ReadFile(archive + ext)
		if err != nil {
			t.Fatal(err)
		}
		if ext == "" {
			data[len(data)/2] ^= 0x01
		}
		if err := os.WriteFile(tampered+ext, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{archive}, "encrypted"},
		{"wrong key", []string{archive, "--identity", wrongKey}, "wrong key"},
		{"tampered", []string{tampered, "--identity", key}, "checksum mismatch"},
	} {
		_, stderr, code := runBaktainer(t, nil, append([]string{"restore", "--container", dst}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("restore with %s: exit %d, want an error mentioning %q: %s", tc.name, code, tc.want, stderr)
		}
	}
	if tables := rig.Psql(t, dc, dst, "postgres", "app", `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`); strings.TrimSpace(tables) != "0" {
		t.Fatalf("a refused restore changed the target: %s tables", tables)
	}

	if _, stderr, code := runBaktainer(t, nil, "restore", archive, "--container", dst, "--identity", key); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	want, got := tableContents(t, dc, src), tableContents(t, dc, dst)
	for table, content := range want {
		if got[table] != content {
			t.Errorf("table %s differs after the encrypted round trip", table)
		}
	}
}

// TestPostgresRestoreAbortsWhenTheArchiveChangesMidway (issue #11.8): restore used to
// verify the archive, then open it again and stream whatever it held by then. Here
// the archive changes in place while psql runs (the dump makes psql wait in
// pg_sleep, long after any check before the stream): the restore must notice at the
// end of the stream, before psql commits, fail, and leave the database as it was.
func TestPostgresRestoreAbortsWhenTheArchiveChangesMidway(t *testing.T) {
	dc := rig.Docker(t)
	src := rig.StartPostgres(t, dc, rig.ContainerSpec{
		Name: "pg-mid-src", Env: []string{"POSTGRES_PASSWORD=mid-Secret-7", "POSTGRES_DB=app"},
		Labels: map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres"},
	})
	// Several MiB of rows: more than every buffer between the archive and psql.
	rig.Psql(t, dc, src, "postgres", "app", seedSQL+`
CREATE TABLE zz_filler (id int PRIMARY KEY, note text);
INSERT INTO zz_filler SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 150000) g;`)
	dst := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "pg-mid-dst", Env: []string{"POSTGRES_PASSWORD=mid-Secret-8", "POSTGRES_DB=app"}})
	rig.Psql(t, dc, dst, "postgres", "app", `CREATE TABLE people (id int, name text); INSERT INTO people VALUES (1, 'before'), (2, 'the'), (3, 'restore');`)
	before := tableContents(t, dc, dst)

	plain := t.TempDir()
	target, eng, err := agent.Resolve(context.Background(), dc, engines.Default(), src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := agent.RunBackup(context.Background(), dc, testLog(t), agent.Job{
		Target: target, Engine: eng, Root: plain, Options: store.Options{Compression: store.None},
	})
	if err != nil {
		t.Fatal(err)
	}
	dump, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	// The same dump, with a pause before its first statement, packed uncompressed so
	// that one changed digit still reads as valid SQL data.
	at := bytes.Index(dump, []byte("\nSET "))
	if at < 0 {
		t.Fatal("the dump has no SET statement")
	}
	slow := append(append(append([]byte{}, dump[:at+1]...), "SELECT pg_sleep(4);\n"...), dump[at+1:]...)
	p, err := store.Create(t.TempDir(), store.Meta{Name: "shop", Engine: "postgres"}, "sql", store.Options{Compression: store.None})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(slow); err != nil {
		t.Fatal(err)
	}
	archive, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	lastRow := bytes.LastIndex(slow, []byte("\n\\.\n"))
	digit := bytes.LastIndexByte(slow[:lastRow], '\n') + 1 // the first column of the last row of the last table
	if slow[digit] < '1' || slow[digit] > '9' {
		t.Fatalf("the last row does not start with a digit: %q", slow[digit:lastRow])
	}

	cmd := exec.Command(storeBinary(t), "restore", archive, "--container", dst, "--force") // dst holds a table: the restore must replace it
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(rig.Psql(t, dc, dst, "postgres", "app", "SELECT query FROM pg_stat_activity"), "pg_sleep") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("psql never reached its pause: %s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	changed := []byte{'9'}
	if slow[digit] == '9' {
		changed[0] = '8'
	}
	f, err := os.OpenFile(archive, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(changed, int64(digit)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Logf("changed the archive while psql paused: %q became %q", slow[digit:lastRow], string(changed)+string(slow[digit+1:lastRow]))

	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("restore did not end")
	}
	t.Logf("restore: %v\n%s", exitErr, stderr.String())
	if exitErr == nil || !strings.Contains(stderr.String(), "checksum mismatch") {
		t.Errorf("restore of an archive changed midway: %v; want a failure saying checksum mismatch", exitErr)
	}
	after := tableContents(t, dc, dst)
	if len(after) != len(before) {
		t.Errorf("the database has tables %v after the aborted restore, %v before", keys(after), keys(before))
	}
	for table, content := range before {
		if after[table] != content {
			t.Errorf("table %s changed under an aborted restore", table)
		}
	}
}
