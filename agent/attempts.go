package agent

import "sort"

// Attempt returns an attempt by ID: a queued or running one, else from history.
func (a *Agent) Attempt(id string) (Attempt, bool) {
	a.mu.Lock()
	cur, ok := a.active[id]
	var att Attempt
	if ok {
		att = *cur
	}
	a.mu.Unlock()
	if ok {
		return att, true
	}
	if a.history != nil {
		return a.history.Get(id)
	}
	return Attempt{}, false
}

// Attempts returns up to limit attempts, newest first: the queued and running
// ones, then the finished ones from the history; of one backup name, or of all
// when name is empty (limit 0: every attempt kept). It is GET /api/v1/backups.
func (a *Agent) Attempts(name string, limit int) []Attempt {
	var out []Attempt
	a.mu.Lock()
	for _, att := range a.active {
		if name == "" || att.Name == name {
			out = append(out, *att)
		}
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Queued.After(out[j].Queued) })
	if a.history != nil {
		seen := make(map[string]bool, len(out))
		for _, att := range out {
			seen[att.ID] = true
		}
		for _, att := range a.history.Recent(name, limit) {
			if !seen[att.ID] { // finished while we looked
				out = append(out, att)
			}
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Attempt{}
	}
	return out
}

// Active returns the queued and running attempts, oldest first.
func (a *Agent) Active() []Attempt {
	a.mu.Lock()
	out := make([]Attempt, 0, len(a.active))
	for _, att := range a.active {
		out = append(out, *att)
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Queued.Before(out[j].Queued) })
	return out
}

// RecentAttempts returns up to limit finished attempts of a backup name, newest
// first (limit 0: all kept); none before Run opened the history.
func (a *Agent) RecentAttempts(name string, limit int) []Attempt {
	if a.history == nil {
		return nil
	}
	return a.history.Recent(name, limit)
}

// activeFor returns the queued or running attempt of a container.
func (a *Agent) activeFor(containerID string) (Attempt, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.busy["id:"+containerID]; ok {
		return *a.active[id], true
	}
	return Attempt{}, false
}
