package agent

import (
	"math"
	"slices"
	"testing"
)

const mib = 1 << 20

func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		running  int
		idleHeap int64
		want     int64
	}{
		{"no job: the runtime's default", 0, 4 * mib, math.MaxInt64},
		{"one backup", 1, 4 * mib, 48 * mib},
		{"two", 2, 4 * mib, 80 * mib},
		{"four (BT_THREADS' default)", 4, 4 * mib, 144 * mib},
		{"before the first collection", 1, 0, 48 * mib},
		{"an agent holding more than the base keeps twice its own", 1, 20 * mib, 72 * mib},
		{"the same with four", 4, 20 * mib, 168 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := memoryLimitFor(tc.running, tc.idleHeap); got != tc.want {
				t.Errorf("memoryLimitFor(%d, %d MiB) = %d MiB, want %d MiB", tc.running, tc.idleHeap/mib, got/mib, tc.want/mib)
			}
		})
	}
}

func TestNewMemoryLimitLeavesTheUsersLimit(t *testing.T) {
	for _, tc := range []struct {
		gomemlimit string
		ours       bool
	}{
		{"", true},
		{"50MiB", false},
		{"off", false},
		{"1GiB", false},
	} {
		getenv := func(name string) string {
			if name == "GOMEMLIMIT" {
				return tc.gomemlimit
			}
			return ""
		}
		if got := NewMemoryLimit(getenv) != nil; got != tc.ours {
			t.Errorf("GOMEMLIMIT=%q: the agent sets its own limit: %v, want %v", tc.gomemlimit, got, tc.ours)
		}
	}
}

// TestMemoryLimitFollowsTheJobs: the limit rises as jobs start and falls as they
// end, in any order; the agent's own heap is read when the first one starts.
func TestMemoryLimitFollowsTheJobs(t *testing.T) {
	var set []int64
	heap := int64(4 * mib)
	m := &MemoryLimit{
		set:  func(v int64) int64 { set = append(set, v); return 0 },
		live: func() int64 { return heap },
	}
	leaveA := m.enter()
	heap = 40 * mib // the first job's pipeline, not the agent's own
	leaveB := m.enter()
	leaveA()
	leaveA() // a second call counts nothing
	leaveB()
	heap = 20 * mib // an agent that grew between jobs
	leaveC := m.enter()
	leaveC()
	want := []int64{48 * mib, 80 * mib, 48 * mib, math.MaxInt64, 72 * mib, math.MaxInt64}
	if !slices.Equal(set, want) {
		t.Errorf("limits set %v MiB, want %v MiB", inMiB(set), inMiB(want))
	}
}

func TestNilMemoryLimitDoesNothing(t *testing.T) {
	var m *MemoryLimit
	m.enter()() // must not panic
}

func inMiB(v []int64) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = x / mib
		if x == math.MaxInt64 {
			out[i] = -1
		}
	}
	return out
}
