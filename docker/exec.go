package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ExecSpec describes one command run inside a container. The command is run as an
// argv, never through a shell; secrets reach it through Env or Stdin, never Cmd.
type ExecSpec struct {
	Container string    // container ID or name
	Cmd       []string  // argv
	Env       []string  // KEY=VALUE pairs added to the container's environment
	User      string    // empty: the container's default user
	Stdin     io.Reader // nil: no standard input is attached
	Stdout    io.Writer // nil: the output is discarded
	// Stderr, when set, also receives the standard error (which the ExitError
	// quotes the start of either way): a hook's output is both streams.
	Stderr io.Writer
	// MaxOutput, when positive, bounds the standard output: past it Exec stops
	// reading, abandons the command (Docker cannot kill an exec; the daemon drains
	// what it still writes) and returns an error wrapping ErrOutputLimit. Every
	// short answer read from a container sets it: the container may be hostile.
	MaxOutput int64
}

// ErrOutputLimit is returned when a command wrote more than its ExecSpec.MaxOutput.
var ErrOutputLimit = errors.New("docker: the command's output exceeds its limit")

// stderrLimit bounds how much of a command's standard error is kept for error
// messages; dump tools print their reason for failing first.
const stderrLimit = 8 << 10

// ExitError reports a command that ran but exited non-zero.
type ExitError struct {
	Container string
	Command   string // argv[0]
	Code      int
	Stderr    string // the start of its standard error, trimmed
}

func (e *ExitError) Error() string {
	// The container is left out: callers name it (by name, not ID) in their context.
	msg := fmt.Sprintf("%s exited with code %d", e.Command, e.Code)
	if e.Code > 128 && e.Code < 160 {
		msg += fmt.Sprintf(" (killed by signal %d: was the container stopped?)", e.Code-128)
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// ErrContainerStopped is returned when the container stopped or restarted while a
// command ran in it: whatever the command wrote is not to be trusted.
var ErrContainerStopped = errors.New("docker: container stopped while the command ran")

// Exec runs spec inside its container and waits for it to finish. The command's
// standard output goes to spec.Stdout; its standard error is kept for the error. It
// returns an *ExitError when the command exits non-zero, and an error wrapping
// ErrContainerStopped when the container died under it. Cancelling ctx closes the
// streams, which ends the command with a broken pipe on its next write.
func (c *Client) Exec(ctx context.Context, spec ExecSpec) error {
	if len(spec.Cmd) == 0 {
		return errors.New("docker: exec needs a command")
	}
	before, err := c.startedAt(ctx, spec.Container)
	if err != nil {
		return err
	}
	created, err := c.api.ExecCreate(ctx, spec.Container, client.ExecCreateOptions{
		Cmd:          spec.Cmd,
		Env:          spec.Env,
		User:         spec.User,
		AttachStdin:  spec.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return fmt.Errorf("docker: create exec of %s in container %s: %w", spec.Cmd[0], spec.Container, err)
	}
	stderr, err := c.stream(ctx, created.ID, spec)
	if err != nil {
		return fmt.Errorf("docker: %s in container %s: %w", spec.Cmd[0], spec.Container, err)
	}
	code, err := c.exitCode(ctx, created.ID)
	if err != nil {
		return fmt.Errorf("docker: %s in container %s: %w", spec.Cmd[0], spec.Container, err)
	}
	// A container killed mid-command can report the exec as ended with code 0; the
	// container's own state tells the truth.
	after, err := c.settledStartedAt(ctx, spec.Container, before, code)
	if err != nil || after != before {
		return fmt.Errorf("%s in container %s: %w", spec.Cmd[0], spec.Container, ErrContainerStopped)
	}
	if code != 0 {
		return &ExitError{Container: spec.Container, Command: spec.Cmd[0], Code: code, Stderr: strings.TrimSpace(stderr.String())}
	}
	return nil
}

// stream attaches to the exec, feeds its stdin and demultiplexes its output until
// the command closes it.
func (c *Client) stream(ctx context.Context, execID string, spec ExecSpec) (*cappedBuffer, error) {
	attached, err := c.api.ExecAttach(ctx, execID, client.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	defer attached.Close()
	stop := context.AfterFunc(ctx, attached.Close)
	defer stop()

	var stdinErr error
	var wg sync.WaitGroup
	if spec.Stdin != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stdinErr = copyStdin(attached, spec.Stdin)
		}()
	}
	stdout := spec.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	if spec.MaxOutput > 0 {
		stdout = &limitWriter{w: stdout, room: spec.MaxOutput}
	}
	stderr := &cappedBuffer{limit: stderrLimit}
	var stderrTo io.Writer = stderr
	if spec.Stderr != nil {
		stderrTo = io.MultiWriter(stderr, spec.Stderr)
	}
	_, copyErr := stdcopy.StdCopy(stdout, stderrTo, attached.Reader)
	// The output is over: unblock a stdin copy the command stopped reading.
	attached.Close()
	wg.Wait()
	if ctx.Err() != nil {
		return stderr, ctx.Err()
	}
	if errors.Is(copyErr, ErrOutputLimit) {
		return stderr, fmt.Errorf("%w of %d bytes", copyErr, spec.MaxOutput)
	}
	if copyErr != nil {
		return stderr, fmt.Errorf("read output: %w", copyErr)
	}
	if stdinErr != nil {
		return stderr, stdinErr
	}
	return stderr, nil
}

// readError marks an error of the stdin source, as opposed to the connection.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

type errReader struct{ r io.Reader }

func (r errReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

// copyStdin copies src to the command and closes its stdin. An error reading src is
// returned; an error writing to a command that already exited is not, since the
// exit code tells that story.
func copyStdin(attached client.ExecAttachResult, src io.Reader) error {
	_, err := io.Copy(attached.Conn, errReader{src})
	var re readError
	if errors.As(err, &re) {
		return fmt.Errorf("read input: %w", re.err)
	}
	if err == nil {
		_ = attached.CloseWrite()
	}
	return nil
}

// exitCode waits for the exec to be reported as finished and returns its code.
func (c *Client) exitCode(ctx context.Context, execID string) (int, error) {
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		inspected, err := c.api.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return 0, fmt.Errorf("inspect exec: %w", err)
		}
		if !inspected.Running {
			return inspected.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// startedAt identifies the current run of a running container; it changes when the
// container restarts and is an error when the container is not running.
func (c *Client) startedAt(ctx context.Context, container string) (string, error) {
	inspected, err := c.api.ContainerInspect(ctx, container, client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("docker: inspect container %s: %w", container, err)
	}
	state := inspected.Container.State
	if state == nil || !state.Running || state.Paused || state.Restarting {
		return "", fmt.Errorf("docker: container %s is not running", container)
	}
	return state.StartedAt, nil
}

// cappedBuffer keeps the first limit bytes written to it and counts the rest.
type cappedBuffer struct {
	buf     bytes.Buffer
	limit   int
	dropped int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.limit - b.buf.Len()
	if room >= len(p) {
		return b.buf.Write(p)
	}
	if room > 0 {
		b.buf.Write(p[:room])
	}
	b.dropped += len(p) - max(room, 0)
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	if b.dropped > 0 {
		return fmt.Sprintf("%s… (%d more bytes)", b.buf.String(), b.dropped)
	}
	return b.buf.String()
}

// limitWriter passes on at most room bytes and fails the write that would pass
// more, so the copy stops before anything beyond the limit is held.
type limitWriter struct {
	w    io.Writer
	room int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.room {
		return 0, ErrOutputLimit
	}
	n, err := l.w.Write(p)
	l.room -= int64(n)
	return n, err
}
