//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// Redaction must not garble what baktainer and the tools say: a password that is
// also a word of the message ("postgres", "x") stays in the words it is part of,
// and baktainer's own text is never redacted (it never holds a secret). Real
// Postgres servers, real pg_dump failures, through the agent.
func TestAgentRedactionKeepsMessagesReadable(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	wrong := engPassword("redact-wrong")
	// The user and the password are both "postgres"; the password file holds a
	// wrong one, so pg_dump fails naming the socket path and the user.
	same := rig.Start(t, dc, rig.ContainerSpec{Name: "redact-pg-same", Image: rig.PostgresImage,
		Env: []string{"POSTGRES_PASSWORD=postgres", pgScram},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", rig.RunLabel: run,
			labels.PasswordFile: "/tmp/wrong_password"}})
	// A one-letter password and a database that does not exist.
	short := rig.Start(t, dc, rig.ContainerSpec{Name: "redact-pg-short", Image: rig.PostgresImage,
		Env: []string{"POSTGRES_PASSWORD=x"},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", rig.RunLabel: run,
			labels.Database: "nosuchdb"}})
	for _, name := range []string{same, short} {
		rig.WaitFor(t, dc, name, 120*time.Second, "pg_isready", "--quiet", "-h", "127.0.0.1")
	}
	engWriteFile(t, dc, same, "/tmp/wrong_password", wrong+"\n")
	ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_BACKUP_RETRIES": "0"}, nil)

	for _, tc := range []struct {
		container string
		want      []string
	}{
		{same, []string{`as user "postgres"`, `"/var/run/postgresql/.s.PGSQL.5432"`, `password authentication failed for user "postgres"`}},
		{short, []string{"pg_dump exited with code 1", `database "nosuchdb" does not exist`}},
	} {
		waitUntil(t, 30*time.Second, func() string { return "not registered: " + tc.container }, func() bool {
			_, ok := ta.target(tc.container)
			return ok
		})
		if _, err := ta.RunNow(tc.container); err != nil {
			t.Fatal(err)
		}
		var att agent.Attempt
		waitUntil(t, 60*time.Second, func() string { return "no attempt of " + tc.container }, func() bool {
			atts := ta.attempts(tc.container)
			if len(atts) > 0 {
				att = atts[0]
			}
			return len(atts) > 0
		})
		t.Logf("%s: %s", tc.container, att.Error)
		if att.Outcome != agent.Failed {
			t.Fatalf("%s: attempt %s, want failed", tc.container, att.Outcome)
		}
		for _, want := range tc.want {
			if !strings.Contains(att.Error, want) {
				t.Errorf("%s: error does not say %s", tc.container, want)
			}
		}
		if strings.Contains(att.Error, "[REDACTED]") || strings.Contains(att.Error, wrong) {
			t.Errorf("%s: error %q is garbled by redaction, or holds the password", tc.container, att.Error)
		}
	}
}
