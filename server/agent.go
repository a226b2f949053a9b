package server

import (
	"context"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/dashboard"
	"github.com/baktainer/baktainer/metrics"
)

// Agent is everything the HTTP server reads from and asks of the agent: the
// API's, /health's and /status's, the dashboard's (dashboard.Source) and the
// metrics' (metrics.Source). *agent.Agent is one; the server's tests use a
// fake.
type Agent interface {
	dashboard.Source
	metrics.Source
	// Ready is closed once the agent runs; the server answers no request before.
	Ready() <-chan struct{}
	// AddObserver subscribes the metrics to backup events, before the agent runs.
	AddObserver(o agent.Observer)
	// RunNow queues a backup of the target ref names (container name or ID, or
	// backup name): an *agent.BusyError when one is queued or running, an
	// *agent.InvalidTargetError for wrong labels, agent.ErrUnknownTarget for a
	// container that is no target.
	RunNow(ref string) (agent.Attempt, error)
	// Attempt returns one attempt by ID, queued, running or finished.
	Attempt(id string) (agent.Attempt, bool)
	// Attempts returns up to limit attempts, newest first, in flight then
	// finished; of one backup name, or all when name is empty.
	Attempts(name string, limit int) []agent.Attempt
	// CheckedTargets returns every registered target, with the problem of its
	// destination.
	CheckedTargets(ctx context.Context) []agent.TargetStatus
	// RunTestRestore queues a test-restore of the newest archive of the target
	// ref names: an *agent.TestRestoreBusyError when one is queued or
	// running, the others as RunNow.
	RunTestRestore(ref string) (agent.TestRestore, error)
	// TestRestoreByID returns one test-restore, queued, running or finished.
	TestRestoreByID(id string) (agent.TestRestore, bool)
	// TestRestores returns up to limit test-restores, newest first; of one
	// backup name, or all when name is empty.
	TestRestores(name string, limit int) []agent.TestRestore
}

var _ Agent = (*agent.Agent)(nil)
