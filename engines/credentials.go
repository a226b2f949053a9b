package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// secret resolves a password in baktainer's order of preference: the
// baktainer.db.password_file label (a file read inside the target container, e.g. a
// Docker secret), then the first of the container's own environment variables
// envNames that is set (as the engine's official image defines them), or its _FILE
// variant read inside the container, then the plain baktainer.db.password label.
// An empty Value means "no password".
func secret(ctx context.Context, ex Execer, t Target, envNames ...string) (setting, error) {
	if path := t.Spec.PasswordFile; path != "" {
		v, err := readFileInContainer(ctx, ex, t, path)
		if err != nil {
			return setting{}, fmt.Errorf("container %s: label %s: %w", t.Container.Name, labels.PasswordFile, err)
		}
		return setting{v, "label " + labels.PasswordFile}, nil
	}
	for _, name := range envNames {
		if v := t.Container.Env[name]; v != "" {
			return setting{v, "env " + name}, nil
		}
		if path := t.Container.Env[name+"_FILE"]; path != "" {
			v, err := readFileInContainer(ctx, ex, t, path)
			if err != nil {
				return setting{}, fmt.Errorf("container %s: env %s_FILE: %w", t.Container.Name, name, err)
			}
			return setting{v, "env " + name + "_FILE"}, nil
		}
	}
	if t.Spec.Password != "" {
		return setting{t.Spec.Password, "label " + labels.Password}, nil
	}
	return setting{From: "none set"}, nil
}

// readFileInContainer returns a secret file's content without its final newline.
func readFileInContainer(ctx context.Context, ex Execer, t Target, path string) (string, error) {
	var out bytes.Buffer
	err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"cat", "--", path}, Stdout: &out})
	if err != nil {
		return "", fmt.Errorf("read %s inside the container: %w", path, err)
	}
	return strings.TrimRight(out.String(), "\r\n"), nil
}

// Scrub returns s with every non-empty secret replaced by [REDACTED]: the one
// place messages lose their secrets before anyone sees them.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// redact returns err with every secret in its message replaced, keeping an
// *docker.ExitError an *docker.ExitError so callers can still inspect the exit code.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	scrub := func(s string) string { return Scrub(s, secrets...) }
	var exit *docker.ExitError
	if errors.As(err, &exit) {
		clean := *exit
		clean.Stderr = scrub(exit.Stderr)
		if msg := scrub(err.Error()); msg != err.Error() || clean.Stderr != exit.Stderr {
			return &redactedError{msg: msg, cause: &clean}
		}
		return err
	}
	if msg := scrub(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// redactedError carries a scrubbed message and a scrubbed cause.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// setting is a value and where it came from, so an error can point the user at the
// label or variable to fix.
type setting struct {
	Value string
	From  string // e.g. "label baktainer.db.user", "env POSTGRES_USER", "default"
}

func (s setting) String() string { return fmt.Sprintf("%q (from %s)", s.Value, s.From) }

// pick chooses the label value when set, else the first non-empty container
// environment variable of envNames, else def.
func pick(t Target, labelValue, labelName string, def string, envNames ...string) setting {
	if labelValue != "" {
		return setting{labelValue, "label " + labelName}
	}
	for _, name := range envNames {
		if v := t.Container.Env[name]; v != "" {
			return setting{v, "env " + name}
		}
	}
	return setting{def, "default"}
}
