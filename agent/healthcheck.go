package agent

import "context"

// HealthCheck is a condition of the agent's health beyond its own (the plugin
// adds its volume driver's): /health reports it by name and fails while it fails.
type HealthCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// AddHealthCheck adds a condition to /health; call it before Run.
func (a *Agent) AddHealthCheck(name string, check func(ctx context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, HealthCheck{Name: name, Check: check})
}

// HealthChecks returns the conditions added with AddHealthCheck, for /health.
func (a *Agent) HealthChecks() []HealthCheck {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]HealthCheck(nil), a.checks...)
}
