package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/baktainer/baktainer/docker"
)

// The container events discovery follows. A recreate (compose up with new labels)
// is a destroy of the old container and a start of the new one.
var watchedActions = []string{"start", "die", "destroy", "rename"}

// Reconnect backoff after the event stream broke.
const (
	minReconnectDelay = 250 * time.Millisecond
	maxReconnectDelay = 30 * time.Second
	// resolveParallel bounds the inspects of a resync.
	resolveParallel = 8
)

// watch keeps the target table in step with the engine until ctx ends: subscribe
// to events, list (resync), follow events; when the stream breaks, reconnect with
// exponential backoff and resync from a fresh list, so nothing is missed.
func (a *Agent) watch(ctx context.Context) {
	delay := minReconnectDelay
	for {
		synced, err := a.watchOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if synced {
			delay = minReconnectDelay
		}
		a.log.WithField("retry_in", delay).Warnf("lost the Docker connection (events or list), reconnecting and resyncing: %v", err)
		a.setConnected(false)
		if sleep(ctx, delay) != nil {
			return
		}
		delay = min(delay*2, maxReconnectDelay)
	}
}

// watchOnce subscribes, resyncs and follows events until the stream breaks. synced
// reports whether it got as far as a complete resync.
func (a *Agent) watchOnce(ctx context.Context) (synced bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribe before listing: an event between the two is then seen, not lost.
	stream := a.dc.ContainerEvents(sctx, watchedActions, append([]string{backupFilter}, a.cfg.Selectors...)...)
	select {
	case err := <-stream.Err: // the subscription itself failed
		return false, err
	default:
	}
	if err := a.resync(ctx); err != nil {
		return false, err
	}
	a.setConnected(true)
	ticker := time.NewTicker(a.cfg.ResyncInterval)
	defer ticker.Stop()
	for {
		select {
		case ev := <-stream.Events:
			a.handle(ctx, ev)
		case err := <-stream.Err:
			return true, err
		case <-ticker.C:
			if err := a.resync(ctx); err != nil {
				return true, err
			}
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
}

// handle applies one container event.
func (a *Agent) handle(ctx context.Context, ev docker.ContainerEvent) {
	switch ev.Action {
	case "start", "rename":
		if ev.Action == "rename" {
			if _, known := a.targets.get(ev.ID); !known {
				return
			}
		}
		c, err := a.dc.Inspect(ctx, ev.ID)
		if err != nil {
			a.log.WithField("container", ev.Name).Debugf("%s event: %v", ev.Action, err)
			a.forget(ctx, ev.ID, "gone before it could be inspected")
			return
		}
		if !c.Running {
			a.forget(ctx, ev.ID, "not running")
			return
		}
		a.admit(ctx, c)
	case "die":
		a.forget(ctx, ev.ID, "stopped")
	case "destroy":
		a.forget(ctx, ev.ID, "removed")
		a.mu.Lock()
		delete(a.ignored, ev.ID)
		a.mu.Unlock()
	}
}

// resync lists the running labelled containers and reconciles the table with it:
// new ones are admitted, vanished ones forgotten.
func (a *Agent) resync(ctx context.Context) error {
	listed, err := ListTargets(ctx, a.dc, a.cfg.Selectors...)
	if err != nil {
		return err
	}
	known := a.targets.ids()
	seen := make(map[string]bool, len(listed))
	var fresh []string
	for _, c := range listed {
		seen[c.ID] = true
		if !known[c.ID] {
			fresh = append(fresh, c.ID)
		}
	}
	for id := range known {
		if !seen[id] {
			a.forget(ctx, id, "no longer running (found on resync)")
		}
	}
	return a.admitAll(ctx, fresh)
}

// admitAll inspects containers, a few at a time, and admits them oldest first,
// so the older of two containers that claim one backup name keeps it whatever
// order the inspects end in. A container that vanished meanwhile is skipped; a
// Docker connection error is returned.
func (a *Agent) admitAll(ctx context.Context, ids []string) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	var running []docker.Container
	sem := make(chan struct{}, resolveParallel)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := a.dc.Inspect(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if kind, _ := classify(err); kind == KindDocker {
					errs = append(errs, err)
				}
				return
			}
			if c.Running {
				running = append(running, c)
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(running, func(x, y docker.Container) int { return x.Created.Compare(y.Created) })
	for _, c := range running {
		a.admit(ctx, c)
	}
	if len(errs) > 0 {
		return fmt.Errorf("resync: %w", errors.Join(errs...))
	}
	return nil
}

// setConnected records whether the events stream is live (for health and status).
func (a *Agent) setConnected(ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.connected = ok
	if ok {
		a.lastSync = time.Now()
	}
}

// Connected reports whether the agent follows the engine's events now, and when it
// last listed the containers completely.
func (a *Agent) Connected() (ok bool, lastSync time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connected, a.lastSync
}
