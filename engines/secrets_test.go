package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

const planted = "Planted-Unit-S3cret"

// plantedReply answers what every engine asks around its dump tool, with the
// planted password behind both a password file and the image's variables.
func plantedReply(cmd []string, _ string) (string, error) {
	switch {
	case cmd[0] == "head" && cmd[len(cmd)-1] == "/run/secrets/pw":
		return planted + "\n", nil
	case cmd[0] == "stat":
		return "999:999", nil
	case cmd[0] == "mktemp":
		return "/tmp/baktainer-mongo.AbCdEf12", nil
	case len(cmd) > 2 && cmd[0] == "redis-cli" && cmd[len(cmd)-2] == "GET":
		return map[string]string{"dir": "dir\n/data", "dbfilename": "dbfilename\ndump.rdb", "appendonly": "appendonly\nno",
			"save": "save\n3600 1"}[cmd[len(cmd)-1]], nil
	case cmd[0] == "redis-cli" && strings.Contains(strings.Join(cmd, " "), "CONFIG SET"):
		return "OK", nil
	case cmd[0] == "redis-cli" && cmd[len(cmd)-1] == "persistence":
		return "rdb_bgsave_in_progress:0", nil
	case cmd[0] == "redis-cli" && cmd[len(cmd)-1] == "PING":
		return "PONG", nil
	}
	return "", nil
}

// TestSecretsTravelOutsideArgv runs every engine's dump and restore with a planted
// password, from a password file and from the image's own variable, and checks it
// reaches the tool through the environment or stdin and never through argv.
func TestSecretsTravelOutsideArgv(t *testing.T) {
	for _, tc := range []struct {
		engine   Engine
		env      map[string]string
		carriers []string // where the password must show up: "env", "stdin"
	}{
		{Postgres{}, map[string]string{"POSTGRES_PASSWORD": planted}, []string{"env"}},
		{MySQL{}, map[string]string{"MYSQL_ROOT_PASSWORD": planted, "MYSQL_DATABASE": "app"}, []string{"env"}},
		{MariaDB{}, map[string]string{"MARIADB_ROOT_PASSWORD": planted, "MARIADB_DATABASE": "app"}, []string{"env"}},
		{Redis{}, map[string]string{"REDIS_PASSWORD": planted}, []string{"env"}},
		{MongoDB{}, map[string]string{"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": planted}, []string{"stdin"}},
	} {
		for _, source := range []string{"env", "password_file"} {
			t.Run(tc.engine.Name()+"/"+source, func(t *testing.T) {
				target := Target{Container: docker.Container{ID: "id", Name: "db", Env: tc.env}}
				if source == "password_file" {
					target.Container.Env = map[string]string{"MYSQL_DATABASE": "app", "MARIADB_DATABASE": "app", "MONGO_INITDB_ROOT_USERNAME": "root"}
					target.Spec.PasswordFile = "/run/secrets/pw"
				}
				f := &fakeRuntime{reply: plantedReply}
				_ = tc.engine.Dump(context.Background(), f, target, io.Discard) // output checks are elsewhere
				_ = tc.engine.Restore(context.Background(), f, target, bytes.NewReader(sampleDump(t, tc.engine)))
				if f.argvHolds(planted) {
					t.Fatalf("the password appears in an argv: %+v", f.calls)
				}
				for _, carrier := range tc.carriers {
					found := false
					for _, c := range f.calls {
						found = found || (carrier == "env" && strings.Contains(strings.Join(c.Env, "\n"), planted)) ||
							(carrier == "stdin" && strings.Contains(c.Stdin, planted))
					}
					if !found {
						t.Errorf("the password never reached a tool through its %s: %+v", carrier, f.calls)
					}
				}
			})
		}
	}
}

// sampleDump returns a minimal dump each engine's Restore accepts.
func sampleDump(t *testing.T, e Engine) []byte {
	t.Helper()
	switch e.(type) {
	case Postgres:
		return []byte("--\n-- PostgreSQL database dump\n--\n-- PostgreSQL database dump complete\n")
	case MySQL, MariaDB:
		return []byte("-- MariaDB dump 10.19\n--\n-- Host: localhost    Database: app\n-- Dump completed on 2024-01-01\n")
	case Redis:
		_, file := readRDBSample(t)
		return file
	case MongoDB:
		return mongoArchive(true)
	}
	return nil
}

func TestErrorsNeverHoldThePassword(t *testing.T) {
	fail := func(cmd []string, user string) (string, error) {
		if cmd[0] == "head" {
			return planted, nil
		}
		if cmd[len(cmd)-1] == "--version" { // probes get no password, so cannot echo it
			return "", nil
		}
		return "", &docker.ExitError{Command: cmd[0], Code: 1, Stderr: "FATAL: password " + planted + " rejected"}
	}
	for _, e := range []Engine{Postgres{}, MySQL{}, Redis{}, MongoDB{}} {
		target := Target{Container: docker.Container{ID: "id", Name: "db", Env: map[string]string{"MYSQL_DATABASE": "app", "MONGO_INITDB_ROOT_USERNAME": "root"}},
			Spec: labels.Spec{PasswordFile: "/run/secrets/pw"}}
		err := e.Dump(context.Background(), &fakeRuntime{reply: fail}, target, io.Discard)
		if err == nil || strings.Contains(err.Error(), planted) {
			t.Errorf("%s: dump error %v: want an error without the password", e.Name(), err)
		}
		var exit *docker.ExitError
		if errors.As(err, &exit) && strings.Contains(exit.Stderr, planted) {
			t.Errorf("%s: the wrapped ExitError still holds the password", e.Name())
		}
		if err != nil && !strings.Contains(err.Error(), "label "+labels.PasswordFile) {
			t.Errorf("%s: dump error %v does not name the password's label", e.Name(), err)
		}
	}
}

// A password file that cannot be read gives baktainer's own words: never the
// label's value (a pasted password), never the file's content or head's message.
func TestSecretFileErrorsNameTheLabelOnly(t *testing.T) {
	const pasted = "Pasted-Instead-Of-A-Path"
	for _, tc := range []struct {
		name  string
		reply error
		want  string
		label bool // a *labels.Error, so the agent files it under wrong labels
	}{
		{"too large", fmt.Errorf("docker: head in container id: %w of 4096 bytes", docker.ErrOutputLimit), "larger than 4096 bytes", true},
		{"missing", &docker.ExitError{Command: "head", Code: 1, Stderr: "head: cannot open '" + pasted + "' for reading: No such file or directory"}, "does not exist", true},
		{"denied", &docker.ExitError{Command: "head", Code: 1, Stderr: "head: cannot open '" + pasted + "' for reading: Permission denied"}, "permission denied", true},
		{"directory", &docker.ExitError{Command: "head", Code: 1, Stderr: "head: error reading '" + pasted + "': Is a directory"}, "is a directory", true},
		{"no head", &docker.ExitError{Command: "head", Code: 127}, "head cannot be run", true},
		{"container stopped", fmt.Errorf("head in container id: %w", docker.ErrContainerStopped), "container stopped", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRuntime{reply: func([]string, string) (string, error) { return "", tc.reply }}
			target := Target{Container: docker.Container{ID: "id", Name: "db"}, Spec: labels.Spec{PasswordFile: pasted}}
			_, err := secret(context.Background(), f, target)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "label "+labels.PasswordFile) {
				t.Fatalf("error %v: want one naming the label and saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pasted) {
				t.Errorf("error %q repeats the label's value", err)
			}
			var le *labels.Error
			if errors.As(err, &le) != tc.label {
				t.Errorf("errors.As(*labels.Error) = %t, want %t", !tc.label, tc.label)
			}
			if le != nil && (le.Value != "" || le.Label != labels.PasswordFile) {
				t.Errorf("labels.Error %+v: want the label without its value", le)
			}
			if !tc.label && !errors.Is(err, docker.ErrContainerStopped) {
				t.Errorf("error %v no longer wraps its cause", err)
			}
		})
	}
}
