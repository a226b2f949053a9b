// Package agent is baktainer's always-on part: it discovers labelled containers
// (a list at start, then the Docker events stream, resynced after every
// reconnect), schedules their backups, runs them on a bounded pool of workers (at
// most one per container), records every attempt, and reports on it all (targets,
// attempts, health, status) to whoever reads it: package server serves that over
// HTTP. It is a library: the standalone command and the managed plugin both start
// it with New and Run.
package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/notify"
	"github.com/baktainer/baktainer/store"
)

// Deps are what the agent works with. Zero fields get the standalone defaults.
type Deps struct {
	Docker       Docker            // required: the caller dials (docker.Dial)
	Engines      *engines.Registry // nil: engines.Default()
	Destinations Destinations      // nil: Directory{cfg.BackupDir}, copied off the host per BT_S3_*
	Observers    []Observer        // besides the history and the notifier
	Log          *logrus.Entry     // nil: logrus' standard logger
	// TestRestorer runs test-restores; nil: package drill on Docker when it is
	// a *docker.Client (verify.go).
	TestRestorer TestRestorer
	// MemoryLimit sets the runtime's soft memory limit as backups and
	// test-restores start and end (memlimit.go); nil: the agent leaves it alone.
	MemoryLimit *MemoryLimit
}

// Agent discovers, schedules and runs backups. Create it with New, add observers
// and health checks, then Run it once.
type Agent struct {
	cfg      config.Config
	dc       Docker
	engines  *engines.Registry
	dests    Destinations
	log      *logrus.Entry
	obs      observers
	notifier *notify.Notifier
	targets  targets
	ready    chan struct{}

	history *History  // set by Run before ready
	verify  *verifier // scheduled test-restores (verify*.go)

	// For health, status and metrics (health.go, status.go, inventory.go).
	started   time.Time  // when New made the agent: its uptime
	inventory *inventory // the destinations' archives and free space, cached

	slots    chan struct{} // one per BT_THREADS
	memLimit *MemoryLimit  // follows the jobs holding a slot, here and in verify
	running  sync.WaitGroup

	mu        sync.Mutex
	runCtx    context.Context     // set by Run: what attempts run under; nil before
	busy      map[string]string   // "id:<container>" and "name:<backup name>" → attempt ID
	active    map[string]*Attempt // queued and running attempts
	secrets   map[string][]string // per attempt, to scrub its errors
	ignored   map[string]bool     // containers whose image labels were ignored (logged once)
	stopping  bool
	connected bool
	lastSync  time.Time
	checks    []HealthCheck // AddHealthCheck: extra conditions of /health

	ctl control // hooks, stop groups, deferred runs (issue #14)
}

// New builds an agent from the configuration. It does not contact Docker or touch
// the disk; Run does.
func New(cfg config.Config, deps Deps) (*Agent, error) {
	if cfg.Threads < 1 || cfg.Location == nil || cfg.Schedule == "" || cfg.StateDir == "" {
		return nil, errors.New("agent: configuration not loaded (use config.Load)")
	}
	if deps.Docker == nil {
		return nil, errors.New("agent: no Docker client (Deps.Docker; docker.Dial makes one)")
	}
	a := &Agent{cfg: cfg, dc: deps.Docker, engines: deps.Engines, dests: deps.Destinations, log: deps.Log, started: time.Now(),
		ready: make(chan struct{}), slots: make(chan struct{}, cfg.Threads), memLimit: deps.MemoryLimit,
		busy: map[string]string{}, active: map[string]*Attempt{}, secrets: map[string][]string{}, ignored: map[string]bool{}}
	if a.log == nil {
		a.log = logrus.NewEntry(logrus.StandardLogger())
	}
	a.log = a.log.WithField("component", "agent")
	if a.engines == nil {
		a.engines = engines.Default()
	}
	if a.dests == nil {
		dir, err := standaloneDirectory(cfg, a.log)
		if err != nil {
			return nil, err
		}
		a.dests = dir
	}
	a.inventory = newInventory(a.dests, a.log)
	n, err := notify.New(cfg.Notify, a.log)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	a.notifier = n
	a.targets = targets{byID: map[string]*entry{}, loc: cfg.Location, defSpec: cfg.Schedule,
		cron: cron.New(cron.WithLocation(cfg.Location), cron.WithLogger(cron.DiscardLogger))}
	a.verify = newVerifier(cfg.Verify, deps)
	a.targets.fireTestRestore = a.fireTestRestore
	a.obs.add(notifyObserver{n}, a.inventory)
	a.obs.add(deps.Observers...)
	return a, nil
}

// AddObserver subscribes o to backup events; call it before Run.
func (a *Agent) AddObserver(o Observer) { a.obs.add(o) }

// History returns the attempt history; nil before Run is ready.
func (a *Agent) History() *History { return a.history }

// Destinations returns where the agent writes archives.
func (a *Agent) Destinations() Destinations { return a.dests }

// Config returns the agent's configuration.
func (a *Agent) Config() config.Config { return a.cfg }

// Ready is closed once Run has opened the history and cleaned the destinations:
// from then on every method answers from the running agent.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Run runs the agent until ctx ends. Backups in flight are then cancelled and
// recorded as failed; Run returns when everything has stopped.
func (a *Agent) Run(ctx context.Context) error {
	h, interrupted, err := OpenHistory(a.cfg.StateDir, a.cfg.HistoryKeep, a.log)
	if err != nil {
		return err
	}
	defer h.Close()
	a.history = h
	a.obs.add(h)
	for _, att := range interrupted {
		a.log.WithFields(logrus.Fields{"name": att.Name, "attempt": att.ID}).Warn("an attempt was interrupted by the agent's previous stop; recorded as failed")
		notifyObserver{a.notifier}.BackupFinished(att)
	}
	if err := a.startTestRestores(ctx); err != nil {
		return err
	}
	defer a.verify.history.close()
	a.cleanup(ctx)
	a.restartStopped(ctx) // stopgroup.go: what a killed agent left stopped

	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.runCtx = runCtx
	a.mu.Unlock()
	wg.Add(1)
	go func() { defer wg.Done(); a.notifier.Run(runCtx) }()
	a.targets.cron.Start()
	close(a.ready)
	a.log.WithFields(logrus.Fields{"threads": a.cfg.Threads, "schedule": a.cfg.Schedule, "zone": a.cfg.Location.String(),
		"selectors": a.cfg.Selectors, "docker": a.dc.Host()}).Info("agent started")

	a.watch(runCtx)

	a.mu.Lock()
	a.stopping = true
	a.mu.Unlock()
	<-a.targets.cron.Stop().Done()
	cancel()
	a.running.Wait()
	a.log.Info("agent stopped")
	return nil
}

// cleanup removes what crashed writers left in every destination.
func (a *Agent) cleanup(ctx context.Context) {
	roots, err := a.dests.Roots(ctx)
	if err != nil {
		a.log.Warnf("cannot list backup destinations to clean up: %v", err)
	}
	for _, root := range roots {
		cleaned, err := store.Cleanup(ctx, root)
		if err != nil {
			a.log.WithField("root", root).Warnf("cleanup: %v", err)
		}
		for _, p := range cleaned.Removed {
			a.log.WithField("path", p).Warn("removed what an interrupted backup left behind")
		}
		for _, p := range cleaned.Completed {
			a.log.WithField("path", p).Warn("finished the commit of an archive an interrupted backup left without its .sha256")
		}
	}
}
