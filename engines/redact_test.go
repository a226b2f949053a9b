package engines

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

func TestRedactWholeWordsOnly(t *testing.T) {
	for _, tc := range []struct {
		text    string
		secrets []string
		want    string
	}{
		{`connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed`, []string{"postgres"},
			`connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed`},
		{"pg_dump exited with code 1", []string{"x"}, "pg_dump exited with code 1"},
		{`FATAL: password "hunter22" rejected`, []string{"hunter22"}, `FATAL: password "[REDACTED]" rejected`},
		{"dsn postgres://app:s3cret@db/app", []string{"s3cret"}, "dsn postgres://app:[REDACTED]@db/app"},
		{"auth p@ss:w0rd! failed", []string{"p@ss:w0rd!"}, "auth [REDACTED] failed"},
		{"hunter22", []string{"hunter22"}, "[REDACTED]"},
		{"abcdef abc abcd", []string{"abc", "abcdef"}, "[REDACTED] [REDACTED] abcd"},
		{"clé pässwört.", []string{"pässwört"}, "clé [REDACTED]."},
		{"mySecret123x and Secret123", []string{"Secret123"}, "mySecret123x and [REDACTED]"},
		{"nothing to hide", []string{""}, "nothing to hide"},
		{"x=1 y", []string{"x"}, "[REDACTED]=1 y"},
	} {
		if got := Redact(tc.text, tc.secrets...); got != tc.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", tc.text, tc.secrets, got, tc.want)
		}
	}
}

// Baktainer's own words are never redacted, and a password equal to the user's
// name stays in the tool's message where it names the user; a password the tool
// echoes is taken out, as are the container's other secrets.
func TestEngineErrorsRedactOnlyTheToolsWords(t *testing.T) {
	for _, tc := range []struct {
		name, password, stderr string
		want, not              []string
	}{
		{"password equals the user", "postgres", `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  password authentication failed for user "postgres"`,
			[]string{`as user "postgres" (from default)`, `/var/run/postgresql/`, `for user "postgres"`}, []string{redactedMark}},
		{"one-letter password", "x", `database "nosuchdb" does not exist`,
			[]string{"pg_dump exited with code 1", "does not exist"}, []string{redactedMark}},
		{"echoed password", "Echoed-S3cret-pw", `FATAL: password "Echoed-S3cret-pw" and key Other-Env-Key-42 rejected`,
			[]string{`password "[REDACTED]" and key [REDACTED] rejected`}, []string{"Echoed-S3cret-pw", "Other-Env-Key-42"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := func(cmd []string, _ string) (string, error) {
				if cmd[0] == "pg_dump" {
					return "", &docker.ExitError{Command: "pg_dump", Code: 1, Stderr: "pg_dump: error: " + tc.stderr}
				}
				return "", nil
			}
			target := Target{Container: docker.Container{ID: "id", Name: "db",
				Env: map[string]string{"POSTGRES_PASSWORD": tc.password, "APP_KEY": "Other-Env-Key-42"}},
				Spec: labels.Spec{Engine: "postgres"}}
			err := Postgres{}.Dump(context.Background(), &fakeRuntime{reply: reply}, target, io.Discard)
			if err == nil || !IsRedacted(err) {
				t.Fatalf("error %v: want one marked as redacted", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(err.Error(), not) {
					t.Errorf("error %q holds %q", err, not)
				}
			}
			var exit *docker.ExitError
			if !errors.As(err, &exit) || exit.Code != 1 {
				t.Errorf("error %v no longer carries the exit code", err)
			}
		})
	}
}
