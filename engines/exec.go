package engines

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// ErrToolMissing is returned when a tool the engine runs inside the container
// cannot be started there: it is not installed, or not executable.
var ErrToolMissing = errors.New("engines: tool missing in the container")

// ErrIncomplete is returned for a dump that lacks its end marker or fails its own
// consistency check: it was cut short, or is not the engine's.
var ErrIncomplete = errors.New("engines: dump is incomplete")

// notStarted reports whether err says the command never ran. The container runtime
// reports an argv[0] it cannot find or execute with exit code 126 (or a shell's 127)
// and says why on the exec's standard output, leaving its standard error empty.
func notStarted(err error) bool {
	var exit *docker.ExitError
	return errors.As(err, &exit) && (exit.Code == 126 || exit.Code == 127) && exit.Stderr == ""
}

// missingTool is the error for tools (alternatives, in order of preference) that
// cannot be run inside t's container.
func missingTool(t Target, engine string, tools ...string) error {
	return fmt.Errorf("container %s: label %s=%s: %w: %s cannot be run in the container; is it a %s container, and is the tool installed?",
		t.Container.Name, labels.Engine, engine, ErrToolMissing, strings.Join(tools, " or "), engine)
}

// engineOf names the engine as the target's label does, for messages; def when the
// target is not labelled (a fresh container to restore into).
func engineOf(t Target, def string) string {
	if t.Spec.Engine != "" {
		return t.Spec.Engine
	}
	return def
}

// Caps on what baktainer reads from a container besides a dump: every such answer
// is short, and the container may be hostile (a "version" that never ends, a
// password file that names a device).
const (
	// shortOutputLimit bounds an answer of output (stat, mktemp, redis-cli replies,
	// PRAGMA integrity_check) and what a probe such as `TOOL --version` prints.
	shortOutputLimit = 16 << 10
	// secretLimit bounds a password read from a file inside the container.
	secretLimit = 4 << 10
)

// findTool returns the first of tools that runs (`TOOL --version`) inside the
// target's container.
func findTool(ctx context.Context, ex Execer, t Target, engine string, tools ...string) (string, error) {
	for _, tool := range tools {
		err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{tool, "--version"}, MaxOutput: shortOutputLimit})
		if err == nil {
			return tool, nil
		}
		if !notStarted(err) {
			return "", fmt.Errorf("container %s: %s --version: %w", t.Container.Name, tool, err)
		}
	}
	return "", missingTool(t, engine, tools...)
}

// output runs argv in the target's container (as user, when set) and returns its
// standard output without surrounding white space. It is for short answers only:
// past shortOutputLimit it fails with docker.ErrOutputLimit.
func output(ctx context.Context, ex Execer, t Target, env []string, user string, argv ...string) (string, error) {
	var out bytes.Buffer
	err := ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: argv, Env: env, User: user, Stdout: &out,
		MaxOutput: shortOutputLimit})
	return strings.TrimSpace(out.String()), err
}

// fileOwner returns "uid:gid" of path inside the container (following symlinks), so
// that files baktainer creates next to a database belong to the database's owner.
func fileOwner(ctx context.Context, ex Execer, t Target, path string) (string, error) {
	return output(ctx, ex, t, nil, "", "stat", "-L", "-c", "%u:%g", "--", path)
}

// tempName returns a name for a temporary file that no one else picks.
func tempName(prefix, suffix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b) + suffix
}

// cleanupTimeout bounds the removal of a temporary file after the work it served,
// which runs even when the work's context was cancelled.
const cleanupTimeout = 30 * time.Second

// removeQuietly deletes a temporary file inside the container as user. It runs
// with its own deadline so a cancelled backup still cleans up, and reports nothing:
// a container that died took the file with it, or keeps it only in a stale /tmp.
func removeQuietly(ctx context.Context, ex Execer, t Target, user, path string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"rm", "-f", "--", path}, User: user,
		MaxOutput: shortOutputLimit})
}
