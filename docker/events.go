package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// ContainerEvent is one container lifecycle event.
type ContainerEvent struct {
	Action string // start, die, destroy, rename...
	ID     string
	Name   string // the container's name after the event, without the leading slash
	Time   time.Time
}

// EventStream is a live subscription to container events. Events arrive on Events
// until the stream breaks; then exactly one error arrives on Err (io.EOF when the
// daemon closed it cleanly, the context's error when it was cancelled) and nothing
// more is sent. A broken stream is never resumed: subscribe again and resync.
type EventStream struct {
	Events <-chan ContainerEvent
	Err    <-chan error
}

// ErrStreamClosed reports an event stream the daemon (or something between it and
// us) closed without an error.
var ErrStreamClosed = errors.New("docker: event stream closed")

// ContainerEvents subscribes to the given container actions of the containers that
// carry every given label ("key=value" or "key"). The subscription is in place when
// it returns, so a list made afterwards misses nothing.
func (c *Client) ContainerEvents(ctx context.Context, actions []string, labels ...string) EventStream {
	filters := make(client.Filters)
	filters.Add("type", "container")
	if len(actions) > 0 {
		filters.Add("event", actions...)
	}
	if len(labels) > 0 {
		filters.Add("label", labels...)
	}
	res := c.api.Events(ctx, client.EventsListOptions{Filters: filters})
	events := make(chan ContainerEvent)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case m := <-res.Messages:
				ev := ContainerEvent{Action: string(m.Action), ID: m.Actor.ID,
					Name: strings.TrimPrefix(m.Actor.Attributes["name"], "/"), Time: time.Unix(0, m.TimeNano)}
				select {
				case events <- ev:
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				}
			case err, ok := <-res.Err:
				if !ok || err == nil || errors.Is(err, io.EOF) {
					err = ErrStreamClosed
				}
				errs <- fmt.Errorf("docker: container events from %s: %w", c.api.DaemonHost(), err)
				return
			}
		}
	}()
	return EventStream{Events: events, Err: errs}
}
