package store

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Policy says which archives of one backup name to keep. Zero fields are off; the
// zero Policy keeps everything. The rules, in order:
//
//  1. Limits: with MaxAge and/or MaxCount set, an archive within every set limit is
//     kept (the newest MaxCount, and those younger than MaxAge).
//  2. Grandfather-father-son: the newest archive of each of the newest KeepDaily
//     days, KeepWeekly ISO weeks and KeepMonthly months (UTC) that have archives is
//     kept, even outside the limits.
//  3. With only GFS rules set, what they do not keep is removed; with only limits
//     set, what is outside them is removed.
//  4. Free space: when the filesystem has less than MinFreeBytes free, the oldest
//     archives go, whatever the rules above said, until it would have enough.
//  5. The newest archive that passes verification is never removed, by any rule;
//     nor, with test-restores on, the newest archive a test-restore proved, nor
//     an archive a test-restore is reading (Facts).
type Policy struct {
	MaxAge      time.Duration // BT_RETENTION_DAYS, label baktainer.retention.days
	MaxCount    int           // BT_RETENTION_COUNT, label baktainer.retention.count
	KeepDaily   int           // BT_RETENTION_DAILY, label baktainer.retention.daily
	KeepWeekly  int           // BT_RETENTION_WEEKLY, label baktainer.retention.weekly
	KeepMonthly int           // BT_RETENTION_MONTHLY, label baktainer.retention.monthly
	// MinFreeBytes is BT_MIN_FREE_SPACE_GB in bytes (GB = 2^30 bytes).
	MinFreeBytes uint64
}

// day is the unit of MaxAge in variables and labels.
const day = 24 * time.Hour

// gigabyte is the unit of BT_MIN_FREE_SPACE_GB.
const gigabyte = 1 << 30

// Overrides replace single rules of a Policy: a volume's options or a
// container's labels (assembled by config.Policy). Nil fields leave the rule as
// it is; a zero value turns it off.
type Overrides struct {
	MaxAge                                       *time.Duration
	MaxCount, KeepDaily, KeepWeekly, KeepMonthly *int
}

// WithOverrides returns p with every set field of o applied.
func (p Policy) WithOverrides(o Overrides) Policy {
	if o.MaxAge != nil {
		p.MaxAge = *o.MaxAge
	}
	for _, f := range []struct {
		from *int
		into *int
	}{{o.MaxCount, &p.MaxCount}, {o.KeepDaily, &p.KeepDaily}, {o.KeepWeekly, &p.KeepWeekly}, {o.KeepMonthly, &p.KeepMonthly}} {
		if f.from != nil {
			*f.into = *f.from
		}
	}
	return p
}

func (p Policy) limits() bool { return p.MaxAge > 0 || p.MaxCount > 0 }
func (p Policy) gfs() bool    { return p.KeepDaily > 0 || p.KeepWeekly > 0 || p.KeepMonthly > 0 }

// String describes the policy for logs.
func (p Policy) String() string {
	var parts []string
	if p.MaxAge > 0 {
		parts = append(parts, "max age "+formatAge(p.MaxAge))
	}
	if p.MaxCount > 0 {
		parts = append(parts, fmt.Sprintf("max count %d", p.MaxCount))
	}
	for _, r := range []struct {
		n    int
		what string
	}{{p.KeepDaily, "daily"}, {p.KeepWeekly, "weekly"}, {p.KeepMonthly, "monthly"}} {
		if r.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", r.n, r.what))
		}
	}
	if p.MinFreeBytes > 0 {
		parts = append(parts, "min free "+formatBytes(p.MinFreeBytes))
	}
	if len(parts) == 0 {
		return "keep everything"
	}
	return strings.Join(parts, ", ")
}

// Facts are what a plan needs to know about the world besides the archives.
type Facts struct {
	// FreeBytes is the free space on the archives' filesystem; used only with
	// Policy.MinFreeBytes.
	FreeBytes uint64
	// NewestVerified is the path of the newest archive whose checksum verified;
	// empty when none did (or none had to be checked).
	NewestVerified string
	// JustCommitted is the path of the archive whose backup this prune follows: it
	// is never removed, whatever the rules and whatever else the directory holds.
	JustCommitted string
	// NewestRestoreVerified is the path of the newest archive a trusted
	// test-restore proved (with test-restores on); it is never removed.
	NewestRestoreVerified string
	// InUse are archives a test-restore is reading now: never removed.
	InUse []string
}

// Decision is the fate of one archive and why.
type Decision struct {
	Archive Archive
	Keep    bool
	Reason  string
	// Problem is set for an archive that cannot be trusted (see Problem): it is
	// kept, left as it is and not counted by any rule.
	Problem error
}

// Plan decides, without touching anything, which of one name's archives to keep
// under p at now (see Policy for the rules), with a reason for each. The decisions
// come in the order of archives (List returns them oldest first). An archive whose
// path is not in the layout (<name>/<date>/<name>-<time>…) or disagrees with its
// metadata, or whose time is in the future, is kept and not counted: only what
// baktainer wrote and can date is ever removed.
func Plan(archives []Archive, p Policy, now time.Time, facts Facts) []Decision {
	out := make([]Decision, len(archives))
	var counted []Archive
	var at []int // index in archives of each counted archive
	for i, a := range archives {
		if why := untrusted(a, now); why != "" {
			out[i] = Decision{Archive: a, Keep: true, Reason: "not counted, left alone: " + why}
			continue
		}
		counted = append(counted, a)
		at = append(at, i)
	}
	for j, d := range planCounted(counted, p, now, facts) {
		out[at[j]] = d
	}
	return out
}

// planCounted is Plan of archives that may all be counted.
func planCounted(archives []Archive, p Policy, now time.Time, facts Facts) []Decision {
	pl := planner{archives: archives, p: p, keep: make([][]string, len(archives)), drop: make([][]string, len(archives))}
	pl.newestFirst = newestFirst(archives)
	switch {
	case !p.limits() && !p.gfs():
		pl.all(&pl.keep, "no retention rule set")
	case !p.limits():
		pl.all(&pl.drop, "not the newest of a kept day, week or month")
	}
	pl.applyLimits(now)
	pl.applyGFS()
	out := pl.decide(facts)
	applyFreeSpace(out, p, facts)
	return out
}

// newestFirst returns the indices of archives, newest first (see newer), so the
// order never depends on the input's.
func newestFirst(archives []Archive) []int {
	order := make([]int, len(archives))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return newer(archives[order[a]], archives[order[b]]) })
	return order
}

// planner collects, per archive, the reasons to keep it and to remove it.
type planner struct {
	archives    []Archive
	p           Policy
	newestFirst []int // indices into archives
	keep, drop  [][]string
}

func (pl *planner) all(reasons *[][]string, reason string) {
	for i := range *reasons {
		(*reasons)[i] = append((*reasons)[i], reason)
	}
}

// applyLimits keeps what is within MaxCount and MaxAge, when either is set.
func (pl *planner) applyLimits(now time.Time) {
	p := pl.p
	if !p.limits() {
		return
	}
	for rank, i := range pl.newestFirst {
		rank++
		inCount := p.MaxCount == 0 || rank <= p.MaxCount
		inAge := p.MaxAge == 0 || now.Sub(pl.archives[i].Meta.Created) <= p.MaxAge
		switch {
		case inCount && inAge:
			pl.keep[i] = append(pl.keep[i], withinLimits(p, rank))
		case !inCount:
			pl.drop[i] = append(pl.drop[i], fmt.Sprintf("beyond the newest %d", p.MaxCount))
		default:
			pl.drop[i] = append(pl.drop[i], "older than "+formatAge(p.MaxAge))
		}
	}
}

// applyGFS keeps the newest archive of each of the newest days, weeks and months.
func (pl *planner) applyGFS() {
	for _, b := range []struct {
		keep  int
		label string
		key   func(time.Time) string
	}{
		{pl.p.KeepDaily, "daily", func(t time.Time) string { return t.Format("2006-01-02") }},
		{pl.p.KeepWeekly, "weekly", isoWeek},
		{pl.p.KeepMonthly, "monthly", func(t time.Time) string { return t.Format("2006-01") }},
	} {
		last, used := "", 0
		for _, i := range pl.newestFirst {
			if used >= b.keep {
				break
			}
			key := b.key(pl.archives[i].Meta.Created.UTC())
			if key == last {
				continue
			}
			last, used = key, used+1
			pl.keep[i] = append(pl.keep[i], fmt.Sprintf("%s %s (%d of %d)", b.label, key, used, b.keep))
		}
	}
}

// protection is an archive no rule removes, and why.
type protection struct{ path, why string }

// protected lists the archives that always stay, whatever the rules say.
func (f Facts) protected() []protection {
	list := []protection{
		{f.NewestVerified, "newest archive that passes verify"},
		{f.JustCommitted, "the archive just committed"},
		{f.NewestRestoreVerified, "newest restore-verified archive"},
	}
	for _, p := range f.InUse {
		list = append(list, protection{p, "a test-restore is reading it"})
	}
	return list
}

// isProtected reports whether path is one of the archives that always stay.
func (f Facts) isProtected(path string) bool {
	for _, p := range f.protected() {
		if p.path != "" && p.path == path {
			return true
		}
	}
	return false
}

// decide turns the reasons into decisions; the newest verified archive, the one
// just committed, the newest restore-verified one and those in use always stay.
func (pl *planner) decide(facts Facts) []Decision {
	out := make([]Decision, len(pl.archives))
	for i, a := range pl.archives {
		d := Decision{Archive: a, Keep: len(pl.keep[i]) > 0}
		if d.Keep {
			d.Reason = strings.Join(pl.keep[i], "; ")
		} else {
			d.Reason = strings.Join(pl.drop[i], "; ")
		}
		for _, protected := range facts.protected() {
			if protected.path == "" || a.Path != protected.path {
				continue
			}
			if d.Keep {
				d.Reason = protected.why + "; " + d.Reason
			} else {
				d.Keep, d.Reason = true, protected.why+", though "+d.Reason
			}
		}
		out[i] = d
	}
	return out
}

func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func withinLimits(p Policy, rank int) string {
	var parts []string
	if p.MaxCount > 0 {
		parts = append(parts, fmt.Sprintf("newest %d of %d", rank, p.MaxCount))
	}
	if p.MaxAge > 0 {
		parts = append(parts, "younger than "+formatAge(p.MaxAge))
	}
	return strings.Join(parts, ", ")
}

// applyFreeSpace removes kept archives, oldest first, until the space freed by the
// plan brings the filesystem up to the policy's minimum free space.
func applyFreeSpace(decisions []Decision, p Policy, facts Facts) {
	if p.MinFreeBytes == 0 {
		return
	}
	free := facts.FreeBytes
	for _, d := range decisions {
		if !d.Keep && d.Archive.Meta.Size > 0 {
			free += uint64(d.Archive.Meta.Size)
		}
	}
	order := make([]int, len(decisions)) // oldest first
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return newer(decisions[order[b]].Archive, decisions[order[a]].Archive) })
	for _, i := range order {
		d := &decisions[i]
		if free >= p.MinFreeBytes {
			return
		}
		if !d.Keep || facts.isProtected(d.Archive.Path) {
			continue
		}
		d.Keep = false
		d.Reason = fmt.Sprintf("free space would be %s, below the minimum %s (else kept: %s)",
			formatBytes(free), formatBytes(p.MinFreeBytes), d.Reason)
		if d.Archive.Meta.Size > 0 {
			free += uint64(d.Archive.Meta.Size)
		}
	}
}

func formatAge(d time.Duration) string {
	if d%day == 0 {
		if d == day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

func formatBytes(n uint64) string {
	switch {
	case n >= gigabyte:
		return fmt.Sprintf("%.1f GiB", float64(n)/gigabyte)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
