// Package engines knows, for each database engine, how to dump and restore a database
// from inside its own container with the engine's own tools, so the client always
// matches the server. One file per engine implements Engine; registry.go lists them.
package engines

import (
	"context"
	"io"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Execer runs a command inside a container. *docker.Client implements it; it returns
// a *docker.ExitError when the command exits non-zero.
type Execer interface {
	Exec(ctx context.Context, spec docker.ExecSpec) error
}

// Runtime is what a restore may need beyond running commands: some engines (Redis)
// load their data only when the server starts, so their restore restarts the
// container. *docker.Client implements it.
type Runtime interface {
	Execer
	// Restart stops the container (SIGTERM, then SIGKILL after the container's stop
	// timeout) and starts it again, returning once it runs.
	Restart(ctx context.Context, container string) error
}

// Target is one container to back up, with its parsed labels.
type Target struct {
	Container docker.Container
	Spec      labels.Spec
	// GlobalsOnly asks for the server-wide objects alone (Postgres: roles and
	// tablespaces): the extra part of a split backup (Inspector.Split).
	GlobalsOnly bool
}

// Engine dumps and restores one kind of database from inside its container.
//
// Implementations run the engine's own tools through the Execer as an argv, never a
// shell, and pass secrets through the exec environment or stdin only: never in argv,
// and never in the errors they return.
type Engine interface {
	// Name is the canonical engine name, as in the baktainer.db.engine label.
	Name() string
	// Extension is the file extension of a dump, without the dot ("sql").
	Extension() string
	// Validate returns, joined, a *labels.Error for every label of spec that this
	// engine cannot work with, baktainer.db.options checked against the options
	// its dump tool may not be passed. It does not contact the container.
	Validate(spec labels.Spec) error
	// Database names what Dump dumps for t, for metadata and messages: a database
	// name, "all", or for sqlite the file path.
	Database(t Target) string
	// Example returns a docker-compose service of the engine's official image,
	// labelled so that baktainer backs it up as it is.
	Example() Example
	// Dump writes a complete dump of the target's database to w. It returns an error
	// when the dump tool fails; a nil error does not prove completeness: the caller
	// also runs CheckComplete on what was written.
	Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error
	// Restore loads the dump read from r into the target, stopping at the first
	// error. It replaces what the dump contains; see docs/ENGINES.md per engine.
	Restore(ctx context.Context, rt Runtime, t Target, r io.Reader) error
	// CheckComplete looks at the first and last bytes of a finished dump (see
	// Recorder) and returns an error when it was cut short or is not this engine's.
	CheckComplete(head, tail []byte) error
	// Inspector counts what a dump holds, proves a restore in a scratch server and
	// surveys a target (inspector.go); where an engine cannot, it says so with
	// ErrNotSupported.
	Inspector
}
