package agent

import (
	"sync"

	"github.com/baktainer/baktainer/engines"
)

// control is the agent's state for what runs around a backup (issue #14):
// runs deferred while their container was busy (schedules.go), the target each
// attempt's hooks run for (hooks.go), and the stop groups held (stopgroup.go).
// Its zero value is ready; mu guards the maps only, never I/O.
type control struct {
	mu       sync.Mutex
	deferred map[string][]string         // container ID → tags of runs waiting for it
	targets  map[string]engines.Target   // attempt ID → the target its last try resolved
	groups   map[string]*stopGroupHolder // stop group → its holders and what they stopped
	// stateMu serialises the rewrites of the stopped-containers file.
	stateMu sync.Mutex
}

// setTarget remembers the target an attempt's try resolved, for its post hooks.
func (c *control) setTarget(attemptID string, t engines.Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.targets == nil {
		c.targets = map[string]engines.Target{}
	}
	c.targets[attemptID] = t
}

// takeTarget returns and forgets the target an attempt's tries resolved last.
func (c *control) takeTarget(attemptID string) (engines.Target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.targets[attemptID]
	delete(c.targets, attemptID)
	return t, ok
}
