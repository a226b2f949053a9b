package fakedocker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// streamBuffer is how many events a subscriber may fall behind before its
// stream breaks (the daemon, too, drops a subscriber that does not read).
const streamBuffer = 1024

// stream is one subscription.
type stream struct {
	actions, labels []string
	events          chan docker.ContainerEvent
	errs            chan error
	done            chan struct{}
	once            sync.Once
}

// end sends the stream's one error and ends it.
func (s *stream) end(err error) {
	s.once.Do(func() {
		s.errs <- err
		close(s.done)
	})
}

func (s *stream) wants(action string, labels map[string]string) bool {
	return (len(s.actions) == 0 || slices.Contains(s.actions, action)) && docker.MatchLabels(labels, s.labels)
}

// ContainerEvents implements agent.Docker. A failure set for MethodEvents (or
// ctx already ended) ends the stream at once with that error.
func (e *Engine) ContainerEvents(ctx context.Context, actions []string, labels ...string) docker.EventStream {
	s := &stream{actions: slices.Clone(actions), labels: slices.Clone(labels),
		events: make(chan docker.ContainerEvent, streamBuffer), errs: make(chan error, 1), done: make(chan struct{})}
	if err := e.begin(ctx, MethodEvents); err != nil {
		s.end(fmt.Errorf("docker: container events from %s: %w", Host, err))
		return docker.EventStream{Events: s.events, Err: s.errs}
	}
	e.mu.Lock()
	e.streams[s] = true
	e.subscribed++
	e.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
			s.end(ctx.Err())
		case <-s.done:
		}
		e.mu.Lock()
		delete(e.streams, s)
		e.mu.Unlock()
	}()
	return docker.EventStream{Events: s.events, Err: s.errs}
}

// Emit announces action for the container id to every stream that wants it,
// matching the container's labels as they are now (the last ones it had, for a
// container already gone). Emitting for a container the engine never had sends
// nothing.
func (e *Engine) Emit(action, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[id]
	if !ok {
		return
	}
	ev := docker.ContainerEvent{Action: action, ID: id, Name: c.Name, Time: time.Now()}
	for s := range e.streams {
		if !s.wants(action, c.Labels) {
			continue
		}
		select {
		case <-s.done:
		case s.events <- ev:
		default:
			s.end(errors.New("fakedocker: the subscriber fell behind"))
		}
	}
}

// BreakStreams ends every live event stream with err (nil: docker.ErrStreamClosed,
// a daemon that closed the connection cleanly).
func (e *Engine) BreakStreams(err error) {
	if err == nil {
		err = docker.ErrStreamClosed
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for s := range e.streams {
		s.end(fmt.Errorf("docker: container events from %s: %w", Host, err))
	}
}

// Streams returns how many event streams are live now.
func (e *Engine) Streams() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for s := range e.streams {
		select {
		case <-s.done:
		default:
			n++
		}
	}
	return n
}

// Subscriptions returns how many event streams were ever opened successfully.
func (e *Engine) Subscriptions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.subscribed
}
