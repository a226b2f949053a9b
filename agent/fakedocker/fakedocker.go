// Package fakedocker is an in-memory Docker engine for the agent's unit tests,
// the way restic's backend/mem serves the tests of its retry, lock and check
// code. The test starts, stops, renames and removes containers; the fake lists
// and inspects them and announces each change to the event streams that
// subscribed to it, as the daemon does. It can break every event stream, fail
// any method (a daemon that went away, a list that fails alone) and script what
// a command run in a container writes and returns.
//
// It promises what agent.Docker promises and nothing more: a test that passes
// against it says the agent's logic is right, not that Docker behaves so (the
// integration tests run against the real engine).
package fakedocker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/baktainer/baktainer/docker"
)

// The methods a failure can be set for (Fail) and whose calls are counted (Calls).
const (
	MethodInspect     = "Inspect"
	MethodListRunning = "ListRunning"
	MethodImageLabels = "ImageLabels"
	MethodEvents      = "ContainerEvents"
	MethodPing        = "Ping"
	MethodVersion     = "Version"
	MethodExec        = "Exec"
	MethodStop        = "StopContainer"
	MethodStart       = "StartContainer"
)

// ExecFunc answers a command run in a container: it writes the command's output
// to spec.Stdout (when set) and returns what Exec returns (e.g. a
// *docker.ExitError). It may block until ctx ends, like a slow dump.
type ExecFunc func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error

// Engine is the fake daemon. Its zero value is not usable: call New.
type Engine struct {
	mu         sync.Mutex
	containers map[string]docker.Container // by ID
	images     map[string]map[string]string
	streams    map[*stream]bool
	failures   map[string]error
	calls      map[string]int
	subscribed int
	exec       ExecFunc
	seq        int
	version    docker.DaemonVersion
}

// New returns an engine without containers whose Exec fails until OnExec sets a
// script.
func New() *Engine {
	return &Engine{containers: map[string]docker.Container{}, images: map[string]map[string]string{},
		streams: map[*stream]bool{}, failures: map[string]error{}, calls: map[string]int{},
		version: docker.DaemonVersion{Version: "fake", APIVersion: "1.47", MinAPIVersion: "1.24", ClientVersion: "1.47"}}
}

// Unreachable is the error of a daemon that does not answer: a refused
// connection, as the Docker client reports it.
func Unreachable() error {
	return fmt.Errorf("docker: daemon at %s does not answer: %w", Host,
		&net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED})
}

// Host is the fake daemon's address.
const Host = "unix:///fake/docker.sock"

// Host implements agent.Docker.
func (e *Engine) Host() string { return Host }

// Fail makes every later call of method fail with err (nil: succeed again).
// Failing MethodEvents ends new subscriptions at once with err; live streams
// are not touched (BreakStreams ends them).
func (e *Engine) Fail(method string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		delete(e.failures, method)
		return
	}
	e.failures[method] = err
}

// SetDown takes the whole daemon away (every method fails with Unreachable and
// every live event stream breaks) or brings it back.
func (e *Engine) SetDown(down bool) {
	for _, m := range []string{MethodInspect, MethodListRunning, MethodImageLabels, MethodEvents, MethodPing, MethodVersion, MethodExec} {
		if down {
			e.Fail(m, Unreachable())
		} else {
			e.Fail(m, nil)
		}
	}
	if down {
		e.BreakStreams(Unreachable())
	}
}

// Calls returns how many times method was called (failed calls included).
func (e *Engine) Calls(method string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[method]
}

// begin counts a call of method and returns the failure set for it, or ctx's.
func (e *Engine) begin(ctx context.Context, method string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[method]++
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("docker: %s: %w", method, err)
	}
	return e.failures[method]
}

// Start creates c, or starts it again when its ID is known, as running, and
// announces "start". An empty ID is made from the name; a zero Created is now.
// It returns the container as the engine holds it.
func (e *Engine) Start(c docker.Container) docker.Container {
	e.mu.Lock()
	if c.ID == "" {
		e.seq++
		sum := sha256.Sum256(fmt.Appendf(nil, "%s-%d", c.Name, e.seq))
		c.ID = hex.EncodeToString(sum[:])
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	if c.Env == nil {
		c.Env = map[string]string{}
	}
	c.Running = true
	e.containers[c.ID] = clone(c)
	e.mu.Unlock()
	e.Emit("start", c.ID)
	return c
}

// Stop marks a container stopped and announces "die".
func (e *Engine) Stop(id string) {
	e.update(id, func(c *docker.Container) { c.Running = false })
	e.Emit("die", id)
}

// Rename renames a container and announces "rename".
func (e *Engine) Rename(id, name string) {
	e.update(id, func(c *docker.Container) { c.Name = name })
	e.Emit("rename", id)
}

// Remove stops and removes a container, announcing "die" (when it ran) and
// "destroy".
func (e *Engine) Remove(id string) {
	if c, ok := e.container(id); ok && c.Running {
		e.Stop(id)
	}
	e.Emit("destroy", id)
	e.mu.Lock()
	delete(e.containers, id)
	e.mu.Unlock()
}

// Put sets a container as it is without announcing anything: a change whose
// event was lost (only a resync finds it), or state changed behind the agent's
// back (new labels, a stop it has not heard of yet).
func (e *Engine) Put(c docker.Container) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[c.ID] = clone(c)
}

// Forget removes a container without announcing anything.
func (e *Engine) Forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.containers, id)
}

// SetImageLabels sets the labels of an image (by ID).
func (e *Engine) SetImageLabels(imageID string, labels map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.images[imageID] = maps.Clone(labels)
}

// OnExec sets what commands run in containers do.
func (e *Engine) OnExec(f ExecFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.exec = f
}

func (e *Engine) update(id string, f func(*docker.Container)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.containers[id]; ok {
		f(&c)
		e.containers[id] = c
	}
}

// container finds a container by ID, name, or an unambiguous ID prefix.
func (e *Engine) container(idOrName string) (docker.Container, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.containers[idOrName]; ok {
		return clone(c), true
	}
	var found []docker.Container
	for id, c := range e.containers {
		if c.Name == idOrName || idOrName != "" && strings.HasPrefix(id, idOrName) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return docker.Container{}, false
	}
	return clone(found[0]), true
}

// Inspect implements agent.Docker: by ID, name, or an unambiguous ID prefix.
func (e *Engine) Inspect(ctx context.Context, idOrName string) (docker.Container, error) {
	if err := e.begin(ctx, MethodInspect); err != nil {
		return docker.Container{}, err
	}
	c, ok := e.container(idOrName)
	if !ok {
		return docker.Container{}, fmt.Errorf("docker: inspect container %s: %w", idOrName,
			fmt.Errorf("no such container: %s: %w", idOrName, cerrdefs.ErrNotFound))
	}
	return c, nil
}

// ListRunning implements agent.Docker: like the daemon's list, its entries carry
// no environment, image ID or creation time.
func (e *Engine) ListRunning(ctx context.Context, labels ...string) ([]docker.Container, error) {
	if err := e.begin(ctx, MethodListRunning); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []docker.Container
	for _, c := range e.containers {
		if c.Running && docker.MatchLabels(c.Labels, labels) {
			out = append(out, docker.Container{ID: c.ID, Name: c.Name, Image: c.Image, Labels: maps.Clone(c.Labels), Running: true})
		}
	}
	slices.SortFunc(out, func(x, y docker.Container) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// ImageLabels implements agent.Docker; an image the test did not set has none.
func (e *Engine) ImageLabels(ctx context.Context, imageID string) (map[string]string, error) {
	if err := e.begin(ctx, MethodImageLabels); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.images[imageID]), nil
}

// Ping implements agent.Docker.
func (e *Engine) Ping(ctx context.Context) error { return e.begin(ctx, MethodPing) }

// Version implements agent.Docker.
func (e *Engine) Version(ctx context.Context) (docker.DaemonVersion, error) {
	if err := e.begin(ctx, MethodVersion); err != nil {
		return docker.DaemonVersion{}, err
	}
	return e.version, nil
}

// StopContainer implements agent.Docker: the container stops, "die" is
// announced. A container that does not exist is an error errdefs.IsNotFound
// holds for.
func (e *Engine) StopContainer(ctx context.Context, id string) error {
	if err := e.begin(ctx, MethodStop); err != nil {
		return err
	}
	c, ok := e.container(id)
	if !ok {
		return fmt.Errorf("docker: stop container %s: %w", id, cerrdefs.ErrNotFound)
	}
	if c.Running {
		e.Stop(c.ID)
	}
	return nil
}

// StartContainer implements agent.Docker: a stopped container runs again,
// "start" is announced; a running one is left as it is.
func (e *Engine) StartContainer(ctx context.Context, id string) error {
	if err := e.begin(ctx, MethodStart); err != nil {
		return err
	}
	c, ok := e.container(id)
	if !ok {
		return fmt.Errorf("docker: start container %s: %w", id, cerrdefs.ErrNotFound)
	}
	if !c.Running {
		e.Start(c)
	}
	return nil
}

// Exec implements agent.Docker (engines.Execer) with the script OnExec set.
func (e *Engine) Exec(ctx context.Context, spec docker.ExecSpec) error {
	if err := e.begin(ctx, MethodExec); err != nil {
		return err
	}
	e.mu.Lock()
	script := e.exec
	e.mu.Unlock()
	c, ok := e.container(spec.Container)
	switch {
	case !ok:
		return fmt.Errorf("docker: exec in %s: %w", spec.Container, cerrdefs.ErrNotFound)
	case !c.Running:
		return fmt.Errorf("docker: exec in %s: container is not running: %w", c.Name, cerrdefs.ErrConflict)
	case script == nil:
		return fmt.Errorf("fakedocker: exec %v in %s: no script (OnExec)", spec.Cmd, c.Name)
	}
	return script(ctx, c, spec)
}

func clone(c docker.Container) docker.Container {
	c.Labels, c.Env = maps.Clone(c.Labels), maps.Clone(c.Env)
	return c
}
