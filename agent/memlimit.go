package agent

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The agent's default soft memory limit (the Go runtime's, as GOMEMLIMIT sets it)
// follows the jobs running: without one the heap may grow to twice what the last
// collection found live, so with a backup's pipeline live the agent's peak
// depends on when the collector last ran (docs/BENCHMARKS.md, "Peak memory of a
// backup by the agent"). A fixed limit would not do: four backups at once need four
// pipelines' memory, and a limit below what is live makes the collector run
// without pause. So the limit is a base (the agent itself) plus a share per
// running backup or test-restore, raised as one starts and lowered as it ends.
const (
	// memoryLimitBase is the agent without a job: its runtime, its state and
	// their share of the collector's room.
	memoryLimitBase = 16 << 20
	// memoryLimitPerJob is one backup's share: its write pipeline holds about
	// 20 MiB (the zstd encoder's sections in flight, store's
	// BenchmarkPipelineHeld), the dump's way in and its counting about 1 MiB,
	// the rest is the collector's room; a test-restore's reading side holds less.
	memoryLimitPerJob = 32 << 20
)

// MemoryLimit keeps the runtime's soft memory limit at memoryLimitFor(the jobs
// running); make one with NewMemoryLimit. A nil *MemoryLimit does nothing: the
// user set GOMEMLIMIT, or the agent runs inside another program (a test) whose
// memory it does not manage.
type MemoryLimit struct {
	set  func(int64) int64 // debug.SetMemoryLimit
	live func() int64      // the heap the last collection found live

	mu       sync.Mutex
	running  int
	idleHeap int64 // live heap when the first of the running jobs started
}

// NewMemoryLimit returns the agent's default memory limit, for Deps.MemoryLimit,
// or nil when getenv("GOMEMLIMIT") is set: the user's limit always wins.
func NewMemoryLimit(getenv func(string) string) *MemoryLimit {
	if userMemoryLimit(getenv) {
		return nil
	}
	return &MemoryLimit{set: debug.SetMemoryLimit, live: liveHeap}
}

// userMemoryLimit reports whether the user chose the runtime's memory limit
// (GOMEMLIMIT, "off" included).
func userMemoryLimit(getenv func(string) string) bool {
	return getenv("GOMEMLIMIT") != ""
}

// memoryLimitFor is the soft limit with running jobs, when the agent held
// idleHeap bytes live before they started: none without a job (the runtime's
// default, as an idle agent allocates little), otherwise the base, or twice
// what the agent itself held if that is more (so its own state never leaves
// the collector without room), plus a share per job.
func memoryLimitFor(running int, idleHeap int64) int64 {
	if running <= 0 {
		return math.MaxInt64
	}
	return max(memoryLimitBase, 2*idleHeap) + int64(running)*memoryLimitPerJob
}

// enter counts a job that starts and raises the limit; the function it returns
// counts it out and lowers the limit again (call it once).
func (m *MemoryLimit) enter() (leave func()) {
	if m == nil {
		return func() {}
	}
	m.mu.Lock()
	if m.running == 0 {
		m.idleHeap = m.live()
	}
	m.running++
	m.set(memoryLimitFor(m.running, m.idleHeap))
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.running--
			m.set(memoryLimitFor(m.running, m.idleHeap))
		})
	}
}

// liveHeap reads the heap the last collection found live (zero before the first).
func liveHeap() int64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(sample[0].Value.Uint64(), math.MaxInt64/4))
}
