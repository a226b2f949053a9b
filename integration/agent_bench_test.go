//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// registrations records when the agent registers each container.
type registrations struct {
	mu   sync.Mutex
	when map[string]time.Time
}

func (r *registrations) BackupStarted(agent.Attempt)      {}
func (r *registrations) BackupFinished(agent.Attempt)     {}
func (r *registrations) TargetRemoved(agent.TargetStatus) {}
func (r *registrations) TargetRegistered(t agent.TargetStatus) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.when[t.ContainerID]; !ok {
		r.when[t.ContainerID] = now
	}
}

func (r *registrations) at(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.when[id]
	return t, ok
}

// BenchmarkAgentRegistration measures the time from a labelled container's start
// (Docker's State.StartedAt) to its registration by the agent, with 300 labelled
// containers running. Target: p99 ≤ 500 ms. Run by `make bench-agent`
// (AGENT_BENCH_SAMPLES sets the number of measured starts, default 100).
func BenchmarkAgentRegistration(b *testing.B) {
	const background = 300
	samples := 100
	if s := os.Getenv("AGENT_BENCH_SAMPLES"); s != "" {
		fmt.Sscan(s, &samples)
	}
	dc := rig.Docker(b)
	run := rig.RunID()
	labels := func(int) map[string]string { return standinLabels(run) }
	startTinies(b, dc, "bench-bg", background, labels)
	reg, _ := standinRegistry()
	seen := &registrations{when: map[string]time.Time{}}
	ta := startAgent(b, dc, run, map[string]string{"BT_CRON": "@yearly", "BT_LOG_LEVEL": "warn"}, reg, seen)
	waitUntil(b, 2*time.Minute, func() string { return "background containers not registered" }, func() bool {
		return len(ta.Targets()) >= background
	})
	ctx := context.Background()
	for range b.N {
		var lat []time.Duration
		for i := range samples {
			name := fmt.Sprintf("bench-reg-%03d-%s", i, rig.RunID())
			created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{Name: name,
				Config: &container.Config{Image: rig.TinyImage, Labels: labels(i)}, HostConfig: &container.HostConfig{NetworkMode: "none"}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { rig.Remove(dc, name) })
			if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
				b.Fatal(err)
			}
			inspected, err := dc.API().ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			startedAt, err := time.Parse(time.RFC3339Nano, inspected.Container.State.StartedAt)
			if err != nil {
				b.Fatal(err)
			}
			var registered time.Time
			waitUntil(b, 10*time.Second, func() string { return name + " not registered" }, func() bool {
				var ok bool
				registered, ok = seen.at(created.ID)
				return ok
			})
			lat = append(lat, registered.Sub(startedAt))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		p50, p99 := pct(0.50), pct(0.99)
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		fmt.Printf("agent registration with %d labelled containers running, %d starts: p50 %s, p99 %s, max %s (target p99 <= 500ms)\n",
			len(ta.Targets())-samples, samples, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
	}
}
