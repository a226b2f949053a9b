package agent

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// baktainer.stop_during_backup=GROUP stops the running containers labelled
// baktainer.stop_during_backup_group=GROUP (and the agent's selectors) before a
// dump and starts them again after it, whatever happened. Several targets of
// one group share the stop: the group stays stopped until the last of their
// dumps ends. What is stopped is written to the state directory first
// (stopped.go), so an agent killed mid-dump starts them at its next start.

// stopTimeout bounds stopping one container (Docker's own stop timeout, 10s
// unless the container says otherwise, comes first) and starting one.
const stopTimeout = 2 * time.Minute

// stopGroupHolder is one group's state: how many dumps hold it stopped, and
// what the first of them stopped. mu is held while the group is being
// stopped or started, so a second dump of the group waits for the stop to
// complete; it is the group's own lock, never the agent's.
type stopGroupHolder struct {
	mu      chan struct{} // a one-slot lock that a waiter can give up on
	holders int
	stopped []docker.Container
}

// group returns the holder of group, created when missing.
func (c *control) group(name string) *stopGroupHolder {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups == nil {
		c.groups = map[string]*stopGroupHolder{}
	}
	g, ok := c.groups[name]
	if !ok {
		g = &stopGroupHolder{mu: make(chan struct{}, 1)}
		c.groups[name] = g
	}
	return g
}

// stopGroup stops t's stop group (unless another dump holds it stopped
// already) and returns what starts it again: call it once the dump is over.
func (a *Agent) stopGroup(ctx context.Context, log *logrus.Entry, att *Attempt, t engines.Target) (func(), error) {
	name := t.Spec.StopDuringBackup
	if name == "" {
		return func() {}, nil
	}
	g := a.ctl.group(name)
	select {
	case g.mu <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("container %s: wait for stop group %s: %w", t.Container.Name, name, ctx.Err())
	}
	defer func() { <-g.mu }()
	if g.holders == 0 {
		stopped, err := a.stopMembers(ctx, log, name, t)
		if err != nil {
			a.startMembers(ctx, log, name, stopped)
			return nil, err
		}
		g.stopped = stopped
	}
	g.holders++
	for _, c := range g.stopped {
		att.Stopped = append(att.Stopped, c.Name)
	}
	return func() { a.releaseGroup(ctx, log, name, g) }, nil
}

// releaseGroup ends one dump's hold of the group; the last starts it again.
func (a *Agent) releaseGroup(ctx context.Context, log *logrus.Entry, name string, g *stopGroupHolder) {
	g.mu <- struct{}{}
	defer func() { <-g.mu }()
	if g.holders--; g.holders > 0 {
		return
	}
	a.startMembers(ctx, log, name, g.stopped)
	g.stopped = nil
}

// stopMembers stops the running members of group, but t itself, recording each
// in the state directory before it is stopped. It returns what it stopped, also
// on error.
func (a *Agent) stopMembers(ctx context.Context, log *logrus.Entry, group string, t engines.Target) ([]docker.Container, error) {
	selectors := append([]string{labels.StopGroup + "=" + group}, a.cfg.Selectors...)
	members, err := a.dc.ListRunning(ctx, selectors...)
	if err != nil {
		return nil, fmt.Errorf("container %s: list stop group %s (label %s): %w", t.Container.Name, group, labels.StopDuringBackup, err)
	}
	var stopped []docker.Container
	for _, c := range members {
		if c.ID == t.Container.ID {
			log.Warnf("stop group %s: %s is the container being backed up: not stopped", group, c.Name)
			continue
		}
		if err := a.recordStopped(c, group); err != nil {
			return stopped, fmt.Errorf("container %s: stop group %s: %w", t.Container.Name, group, err)
		}
		sctx, cancel := context.WithTimeout(ctx, stopTimeout)
		err := a.dc.StopContainer(sctx, c.ID)
		cancel()
		stopped = append(stopped, c) // also on error: it may have stopped
		if err != nil {
			return stopped, fmt.Errorf("container %s: stop container %s of stop group %s (label %s) before the dump: %w",
				t.Container.Name, c.Name, group, labels.StopDuringBackup, err)
		}
		log.WithField("stopped", c.Name).Infof("stop group %s: container stopped for the dump", group)
	}
	return stopped, nil
}

// startMembers starts what stopMembers stopped, even when ctx ended (the agent
// is stopping: briefly). Each one started is struck from the state directory;
// one that fails stays there for the next start, and is a warning.
func (a *Agent) startMembers(ctx context.Context, log *logrus.Entry, group string, stopped []docker.Container) {
	base := context.WithoutCancel(ctx)
	for _, c := range stopped {
		sctx, cancel := context.WithTimeout(base, stopTimeout)
		err := a.dc.StartContainer(sctx, c.ID)
		cancel()
		if err != nil {
			msg := fmt.Sprintf("stop group %s: container %s could not be started again after the dump (the agent tries again at its next start): %v", group, c.Name, err)
			log.Error(msg)
			a.obs.warning(Warning{Time: time.Now().UTC(), Container: c.Name, Message: msg})
			continue
		}
		log.WithField("started", c.Name).Infof("stop group %s: container started again", group)
		if err := a.forgetStopped(c.ID); err != nil {
			log.Warnf("stop group %s: %v", group, err)
		}
	}
}

// restartStopped starts, at the agent's start, the containers a previous agent
// stopped for a dump and did not start again (it was killed mid-dump).
func (a *Agent) restartStopped(ctx context.Context) {
	recs, err := a.readStopped()
	if err != nil {
		a.log.Errorf("stop groups: %v", err)
		return
	}
	for _, r := range recs {
		log := a.log.WithFields(logrus.Fields{"container": r.Name, "group": r.Group})
		c, err := a.dc.Inspect(ctx, r.ID)
		switch {
		case err != nil && cerrdefs.IsNotFound(err):
			log.Warn("a container the previous agent stopped for a dump is gone")
		case err != nil:
			log.Errorf("cannot look at a container the previous agent stopped for a dump: %v", err)
			continue // kept for the next start
		case c.Running:
			log.Info("a container the previous agent stopped for a dump runs again")
		default:
			sctx, cancel := context.WithTimeout(ctx, stopTimeout)
			err := a.dc.StartContainer(sctx, r.ID)
			cancel()
			if err != nil {
				log.Errorf("cannot start a container the previous agent stopped for a dump (it was stopped or killed mid-dump): %v", err)
				continue
			}
			msg := fmt.Sprintf("started container %s again: the previous agent stopped it for a dump of stop group %s and was stopped or killed before it started it", r.Name, r.Group)
			log.Warn(msg)
			a.obs.warning(Warning{Time: time.Now().UTC(), Container: r.Name, Message: msg})
		}
		if err := a.forgetStopped(r.ID); err != nil {
			log.Warnf("stop groups: %v", err)
		}
	}
}
