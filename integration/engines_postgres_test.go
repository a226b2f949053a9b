//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// pgScram makes local connections authenticate by password, as
// POSTGRES_INITDB_ARGS does on the official image, so a wrong password fails.
const pgScram = "POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256"

// pgBulkSQL makes the dump several MiB, so pg_dump outlasts the stream's buffers.
const pgBulkSQL = `
CREATE TABLE bulk (id int PRIMARY KEY, payload text);
INSERT INTO bulk SELECT g, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text) || md5((g * 11)::text)
  FROM generate_series(1, 45000) g;
CREATE VIEW bulk_even AS SELECT * FROM bulk WHERE id % 2 = 0;
CREATE SEQUENCE ticket START 1000;
SELECT nextval('ticket'), nextval('ticket');
CREATE FUNCTION shout(s text) RETURNS text LANGUAGE sql AS $$ SELECT upper(s) || '!' $$;
`

// TestEnginePostgres runs the engine suite for one database, dumped with pg_dump.
func TestEnginePostgres(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.Postgres{}
	start := func(t *testing.T, role enginetest.Role) enginetest.Container {
		secret := engPassword("pg")
		spec, set := engExample(t, eng, rig.PostgresImage, secret, []string{pgScram}, nil)
		return enginetest.Container{Name: rig.Start(t, dc, spec), Labels: set, Secret: secret}
	}
	wrongPassword := engPassword("pg-wrong")
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:   eng,
		DumpTool: "pg_dump",
		Start:    start,
		Ready:    pgReady(dc),
		Seed: func(t *testing.T, c enginetest.Container) {
			rig.Psql(t, dc, c.Name, "postgres", "app", seedSQL+pgBulkSQL, "PGPASSWORD="+c.Secret)
		},
		Snapshot: func(t *testing.T, c enginetest.Container) string {
			return pgDatabaseSnapshot(t, dc, c.Name, "app", c.Secret)
		},
		Failures: []enginetest.Failure{
			{
				Name: "wrong password",
				Prepare: func(t *testing.T, c enginetest.Container) {
					engWriteFile(t, dc, c.Name, "/tmp/wrong_password", wrongPassword+"\n")
				},
				Labels:  pgLabels(map[string]string{labels.PasswordFile: "/tmp/wrong_password"}),
				Want:    []string{"password authentication failed", "label " + labels.PasswordFile, "pg_dump"},
				Secrets: []string{wrongPassword},
			},
			{
				Name:   "wrong database",
				Labels: pgLabels(map[string]string{labels.Database: "nosuchdb"}),
				Want:   []string{`database "nosuchdb" does not exist`, "label " + labels.Database},
			},
			{
				Name:   "wrong user",
				Labels: pgLabels(map[string]string{labels.User: "nobody"}),
				Want:   []string{`"nobody"`, "label " + labels.User},
			},
			{
				Name:   "missing password file",
				Labels: pgLabels(map[string]string{labels.PasswordFile: "/run/secrets/nothing_here"}),
				Want:   []string{"label " + labels.PasswordFile, "does not exist"},
				// A credential label's value is never repeated: it may be a password
				// pasted where the path belongs.
				Secrets: []string{"/run/secrets/nothing_here"},
			},
			{
				Name:   "bad label value",
				Labels: pgLabels(map[string]string{labels.All: "maybe"}),
				Want:   []string{"label " + labels.All, "must be true or false"},
			},
			{
				// #13: next to db.all, db.name is the database pg_dumpall connects to: a name, never a URI.
				Name:   "conflicting labels",
				Labels: pgLabels(map[string]string{labels.All: "true", labels.Database: "postgresql://evil.example/app"}),
				Want:   []string{"label " + labels.Database, "not a connection URI"},
			},
		},
	})
}

// TestEnginePostgresAll runs the engine suite for a whole cluster, dumped with
// pg_dumpall: two databases, and roles with a password, a membership and grants.
func TestEnginePostgresAll(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.Postgres{}
	start := func(t *testing.T, role enginetest.Role) enginetest.Container {
		secret := engPassword("pgall")
		// Local connections trusted, as on the official image by default: the restore
		// brings the source's postgres password along (pg_dumpall restores roles).
		spec, set := engExample(t, eng, rig.PostgresImage, secret, nil,
			map[string]string{labels.All: "true", labels.Database: ""})
		return enginetest.Container{Name: rig.Start(t, dc, spec), Labels: set, Secret: secret}
	}
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:   eng,
		DumpTool: "pg_dumpall",
		Start:    start,
		Ready:    pgReady(dc),
		Seed: func(t *testing.T, c enginetest.Container) {
			rig.Psql(t, dc, c.Name, "postgres", "app", seedSQL+pgBulkSQL+`
CREATE ROLE readers NOLOGIN;
CREATE ROLE reporter LOGIN PASSWORD 'reporter-pw' CONNECTION LIMIT 3 IN ROLE readers;
GRANT SELECT ON people TO readers;
GRANT SELECT, INSERT ON blobs TO reporter;
COMMENT ON ROLE reporter IS 'reads
CREATE ROLE trick;
reports';`)
			rig.Psql(t, dc, c.Name, "postgres", "postgres", "CREATE DATABASE other OWNER reporter;")
			rig.Psql(t, dc, c.Name, "reporter", "other", `CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, 'in other'), (2, NULL);`)
		},
		Snapshot: func(t *testing.T, c enginetest.Container) string {
			return pgClusterSnapshot(t, dc, c.Name)
		},
	})
}

func pgReady(dc *docker.Client) func(*testing.T, enginetest.Container) {
	return func(t *testing.T, c enginetest.Container) {
		rig.WaitFor(t, dc, c.Name, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	}
}

// pgLabels is the Postgres example's label set with changes.
func pgLabels(changes map[string]string) map[string]string {
	return engWithLabels(engines.Postgres{}.Example().Labels, changes)
}

// pgDatabaseSnapshot returns every table of the public schema in COPY form, ordered,
// plus the schema's objects and the sequence's state.
func pgDatabaseSnapshot(t *testing.T, dc *docker.Client, container, db, password string) string {
	t.Helper()
	env := "PGPASSWORD=" + password
	q := func(sql string) string { return rig.Psql(t, dc, container, "postgres", db, sql, env) }
	var b strings.Builder
	b.WriteString(q(`SELECT c.relkind, c.relname, coalesce(array_to_string(c.relacl, ','), '') FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace ORDER BY 2`))
	b.WriteString(q(`SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`))
	tables := q(`SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	for _, table := range strings.Split(strings.TrimSpace(tables), "\n") {
		if table == "" {
			continue
		}
		b.WriteString("== " + table + "\n")
		b.WriteString(q("COPY (SELECT * FROM " + table + " ORDER BY 1) TO STDOUT"))
	}
	if strings.Contains(tables, "bulk") {
		b.WriteString(q(`SELECT last_value, is_called FROM ticket`))
	}
	return b.String()
}

// pgClusterSnapshot returns the roles (attributes, password verifiers, memberships,
// comments), the databases and their owners, and every database's snapshot.
func pgClusterSnapshot(t *testing.T, dc *docker.Client, container string) string {
	t.Helper()
	q := func(db, sql string) string { return rig.Psql(t, dc, container, "postgres", db, sql) }
	var b strings.Builder
	b.WriteString(q("postgres", `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
		rolreplication, rolbypassrls, rolconnlimit, rolpassword, shobj_description(oid, 'pg_authid')
		FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 1`))
	b.WriteString(q("postgres", `SELECT r.rolname, m.rolname FROM pg_auth_members a
		JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2`))
	dbs := q("postgres", `SELECT datname FROM pg_database WHERE datname NOT IN ('template0') ORDER BY 1`)
	b.WriteString(q("postgres", `SELECT datname, pg_get_userbyid(datdba) FROM pg_database ORDER BY 1`))
	for _, db := range strings.Fields(dbs) {
		b.WriteString("=== database " + db + "\n")
		b.WriteString(pgDatabaseSnapshot(t, dc, container, db, ""))
	}
	if !strings.Contains(b.String(), "reporter") || !strings.Contains(dbs, "other") {
		t.Fatalf("%s lacks the seeded role or database:\n%s", container, b.String())
	}
	return b.String()
}

// Label values that slip past the label parser stay plain values: a database
// name shaped like a libpq connection string or URI names a database (that does
// not exist), never a server to connect to (and send the password to).
func TestEnginePostgresNameIsNeverAConnectionString(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	secret := engPassword("pgconninfo")
	name := rig.StartPostgres(t, dc, rig.ContainerSpec{Name: "eng-pg-conninfo",
		Env: []string{"POSTGRES_PASSWORD=" + secret, "POSTGRES_DB=app", pgScram}, Labels: engRunLabels(nil)})
	c, err := dc.Inspect(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"host=/nonexistent dbname=app", "postgresql:///app?host=/nonexistent", "-Fc"} {
		t.Run(db, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			target := engines.Target{Container: c, Spec: labels.Spec{Engine: "postgres", Database: db}}
			err := engines.Postgres{}.Dump(ctx, dc, target, io.Discard)
			if err == nil {
				t.Fatalf("dump of database %q succeeded", db)
			}
			t.Logf("error: %v", err)
			if want := fmt.Sprintf("database %q does not exist", db); !strings.Contains(err.Error(), want) {
				t.Errorf("error does not say %s: libpq read the name as connection settings", want)
			}
			if strings.Contains(err.Error(), "/nonexistent/.s.PGSQL") || strings.Contains(err.Error(), secret) {
				t.Errorf("error %q: the dump tried another server, or shows the password", err)
			}
		})
	}
}
