package agent

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// ErrorKind sorts failures by what fixes them; it decides whether a retry may help.
type ErrorKind string

// The kinds of failure, each with whether it is retried.
const (
	KindLabels           ErrorKind = "labels"         // a label is wrong: no retry, fix the label
	KindContainerGone    ErrorKind = "container_gone" // removed: no retry
	KindNotRunning       ErrorKind = "container_not_running"
	KindContainerStopped ErrorKind = "container_stopped"  // died under the dump: retried only if it runs again
	KindDumpTool         ErrorKind = "dump_tool"          // the tool exited non-zero: no retry unless its message says the server was busy or starting
	KindIncomplete       ErrorKind = "incomplete_dump"    // the tool said OK but the dump lacks its end: retried
	KindTimeout          ErrorKind = "timeout"            // BT_BACKUP_TIMEOUT: no retry, it would time out again
	KindDocker           ErrorKind = "docker_unreachable" // the Docker API connection failed: retried
	KindStorage          ErrorKind = "storage"            // disk full, the free-space floor, permissions: no retry
	KindCancelled        ErrorKind = "cancelled"          // the agent is stopping
	KindInterrupted      ErrorKind = "interrupted"        // the agent died during the attempt (found at restart)
	KindHook             ErrorKind = "hook"               // the pre hook failed: no dump, no retry
	KindOther            ErrorKind = "other"              // not understood: not retried, so it stays visible
)

// errNotRunning is returned when a target is not running at the time of its try.
var errNotRunning = errors.New("the container is not running")

// transientMessages are what dump tools print when the server is busy or not yet
// ready: waiting may help. Wrong passwords, unknown databases and missing tools
// print other things and are not retried.
var transientMessages = []string{
	"the database system is starting up",
	"the database system is in recovery mode",
	"too many connections",
	"too many clients",
	"connection refused",
	"could not connect to server",
	"is the server running", // libpq: the server's socket is not there yet (container just started)
	"can't connect to local",
	"can't connect to mysql server",
	"server closed the connection unexpectedly",
	"lost connection to",
	"loading redis is loading the dataset in memory",
	"temporary failure",
}

// classify sorts err and says whether another try may succeed.
func classify(err error) (kind ErrorKind, transient bool) {
	var labelErr *labels.Error
	var exitErr *docker.ExitError
	var incomplete *IncompleteDumpError
	var pathErr *fs.PathError
	var hookErr *HookError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &hookErr):
		return KindHook, false
	case errors.As(err, &labelErr):
		return KindLabels, false
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout, false
	case errors.Is(err, context.Canceled):
		return KindCancelled, false
	case errors.Is(err, docker.ErrContainerStopped):
		return KindContainerStopped, true
	case errors.Is(err, errNotRunning):
		return KindNotRunning, false
	case cerrdefs.IsNotFound(err):
		return KindContainerGone, false
	case errors.As(err, &incomplete):
		return KindIncomplete, true
	case errors.As(err, &exitErr) && exitErr.Code > 128:
		// Killed by a signal. docker.Exec already waits for a killed container to be
		// reported stopped (ErrContainerStopped, above); this is the rest: a stop
		// Docker reported later than that wait, or the tool alone killed (the OOM
		// killer). Either way worth another try, once the container runs.
		return KindContainerStopped, true
	case errors.As(err, &exitErr):
		msg := strings.ToLower(exitErr.Stderr)
		for _, m := range transientMessages {
			if strings.Contains(msg, m) {
				return KindDumpTool, true
			}
		}
		return KindDumpTool, false
	case isStorage(err):
		return KindStorage, false
	case errors.As(err, &pathErr):
		return KindStorage, false
	case isConnection(err):
		return KindDocker, true
	}
	return KindOther, false
}

func isStorage(err error) bool {
	for _, e := range []error{store.ErrLowSpace, syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EACCES, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func isConnection(err error) bool {
	var netErr net.Error
	return client.IsErrConnectionFailed(err) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, docker.ErrStreamClosed)
}

// IncompleteDumpError reports a dump the engine does not recognise as complete,
// although the dump tool reported success.
type IncompleteDumpError struct{ Err error }

func (e *IncompleteDumpError) Error() string { return e.Err.Error() }
func (e *IncompleteDumpError) Unwrap() error { return e.Err }
