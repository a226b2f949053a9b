package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("container db: %w", err) }
	tests := []struct {
		name      string
		err       error
		kind      ErrorKind
		transient bool
	}{
		{"bad label", wrap(errors.Join(&labels.Error{Label: labels.Schedule, Problem: "bad"})), KindLabels, false},
		{"wrong password", wrap(&docker.ExitError{Command: "pg_dump", Code: 1, Stderr: `pg_dump: error: FATAL:  password authentication failed for user "app"`}), KindDumpTool, false},
		{"unknown database", wrap(&docker.ExitError{Command: "mysqldump", Code: 2, Stderr: "Unknown database 'nope'"}), KindDumpTool, false},
		{"server starting", wrap(&docker.ExitError{Command: "pg_dump", Code: 1, Stderr: "FATAL:  the database system is starting up"}), KindDumpTool, true},
		{"server not up yet", wrap(&docker.ExitError{Command: "pg_dump", Code: 1, Stderr: `pg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory
	Is the server running locally and accepting connections on that socket?`}), KindDumpTool, true},
		{"too many connections", wrap(&docker.ExitError{Command: "mysqldump", Code: 2, Stderr: "Too many connections"}), KindDumpTool, true},
		{"container died mid-dump", wrap(docker.ErrContainerStopped), KindContainerStopped, true},
		{"dump tool killed", wrap(&docker.ExitError{Command: "pg_dump", Code: 137}), KindContainerStopped, true},
		{"not running", wrap(errNotRunning), KindNotRunning, false},
		{"incomplete dump", &IncompleteDumpError{wrap(engines.ErrIncomplete)}, KindIncomplete, true},
		{"container removed", wrap(cerrdefs.ErrNotFound), KindContainerGone, false},
		{"timeout", wrap(context.DeadlineExceeded), KindTimeout, false},
		{"cancelled", wrap(context.Canceled), KindCancelled, false},
		{"disk full", wrap(&fs.PathError{Op: "write", Path: "/b/x", Err: syscall.ENOSPC}), KindStorage, false},
		{"daemon gone", wrap(syscall.ECONNREFUSED), KindDocker, true},
		{"stream cut", wrap(io.ErrUnexpectedEOF), KindDocker, true},
		{"unknown", errors.New("something odd"), KindOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, transient := classify(tt.err)
			if kind != tt.kind || transient != tt.transient {
				t.Errorf("classify = %s, %v; want %s, %v", kind, transient, tt.kind, tt.transient)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	for tries, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 20: maxRetryDelay} {
		if got := retryDelay(10*time.Second, tries); got != want {
			t.Errorf("retryDelay(10s, %d) = %s, want %s", tries, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	tgt := engines.Target{
		Container: docker.Container{Env: map[string]string{"POSTGRES_PASSWORD": "envSecret1", "PATH": "/usr/bin", "API_TOKEN": "tok-123"},
			Labels: map[string]string{labels.Password: "labelSecret"}},
		Spec: labels.Spec{Password: "labelSecret"},
	}
	got := engines.Redact("auth failed for envSecret1 / labelSecret / tok-123 in /usr/bin", engines.Secrets(tgt)...)
	if want := "auth failed for [REDACTED] / [REDACTED] / [REDACTED] in /usr/bin"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
