package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
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
		v, err := readSecretFile(ctx, ex, t, path)
		if err != nil {
			return setting{}, fmt.Errorf("container %s: %w", t.Container.Name, &secretFileError{from: "label " + labels.PasswordFile, label: true, err: err})
		}
		return setting{v, "label " + labels.PasswordFile}, nil
	}
	for _, name := range envNames {
		if v := t.Container.Env[name]; v != "" {
			return setting{v, "env " + name}, nil
		}
		if path := t.Container.Env[name+"_FILE"]; path != "" {
			v, err := readSecretFile(ctx, ex, t, path)
			if err != nil {
				return setting{}, fmt.Errorf("container %s: %w", t.Container.Name, &secretFileError{from: "env " + name + "_FILE", err: err})
			}
			return setting{v, "env " + name + "_FILE"}, nil
		}
	}
	if t.Spec.Password != "" {
		return setting{t.Spec.Password, "label " + labels.Password}, nil
	}
	return setting{From: "none set"}, nil
}

// readSecretFile returns the content of a password file inside the container,
// without its final newline, reading at most secretLimit bytes of it. Its errors
// are baktainer's own words: never the file's content, never its path (a password
// pasted where the path belongs must not be shown), never the tool's output.
func readSecretFile(ctx context.Context, ex Execer, t Target, path string) (string, error) {
	var out bytes.Buffer
	// head stops an honest container's read at the limit (cat /dev/zero would run
	// on inside it); MaxOutput stops a dishonest one's.
	cmd := []string{"head", "-c", strconv.Itoa(secretLimit + 1), "--", path}
	err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Stdout: &out, MaxOutput: secretLimit})
	var exit *docker.ExitError
	switch {
	case err == nil:
		return strings.TrimRight(out.String(), "\r\n"), nil
	case errors.Is(err, docker.ErrOutputLimit):
		return "", fmt.Errorf("the file it names is larger than %d bytes, too large for a password (a device, or the wrong file?)", secretLimit)
	case notStarted(err):
		return "", errors.New("the file it names cannot be read: head cannot be run in the container")
	case errors.As(err, &exit):
		return "", errors.New("the file it names " + unreadableBecause(exit))
	}
	return "", fmt.Errorf("read the file it names inside the container: %w", err)
}

// unreadableBecause says why head could not read a file, from its message.
func unreadableBecause(exit *docker.ExitError) string {
	switch msg := exit.Stderr; {
	case strings.Contains(msg, "No such file"):
		return "does not exist in the container"
	case strings.Contains(msg, "Permission denied"):
		return "cannot be read by the container's default user (permission denied)"
	case strings.Contains(msg, "Is a directory"):
		return "is a directory, not a file"
	}
	return fmt.Sprintf("cannot be read in the container (head exited with code %d)", exit.Code)
}

// secretFileError is a password file that could not be read. Through the
// baktainer.db.password_file label it is a *labels.Error: fixing the label fixes it.
type secretFileError struct {
	from  string // "label baktainer.db.password_file" or "env NAME_FILE"
	label bool
	err   error
}

func (e *secretFileError) Error() string { return e.from + ": " + e.err.Error() }
func (e *secretFileError) Unwrap() error { return e.err }

// As makes a label's unreadable file a *labels.Error, without its value.
func (e *secretFileError) As(target any) bool {
	le, ok := target.(**labels.Error)
	if !ok || !e.label || errors.Unwrap(e.err) != nil {
		return false
	}
	*le = &labels.Error{Label: labels.PasswordFile, Problem: e.err.Error()}
	return true
}

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
