package legacy

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/baktainer/baktainer/store"
)

// RetentionDecision is the fate of one Ruby-era archive under retention.
type RetentionDecision struct {
	Archive Archive
	Keep    bool
	Reason  string
	// Twin is the store archive Migrate made of this one (the same name and time):
	// the Ruby-era archive is not counted itself but follows its copy, removed
	// when retention removes the copy. Keep is true until then.
	Twin string
}

// Verifiers say whether an archive passes verification: retention never removes
// the newest archive that does, of either kind.
type Verifiers struct {
	Store func(context.Context, store.Archive) bool
	Ruby  func(context.Context, Archive) bool
}

// PlanRetention decides, without touching anything, which of one backup name's
// Ruby-era archives (ruby, all of that BackupName) retention removes: they are
// counted with the store's archives of the name (current) as one history, by the
// store's own rules (store.Plan) at now; free is the free space of their
// filesystem, for p.MinFreeBytes. The decisions come in the order of ruby.
//
// The store decides about its own archives (store.Prune): counted together, it
// never removes more of them than this plan would, since each of its rules keeps
// an archive whenever it would keep it among more archives.
func PlanRetention(ctx context.Context, ruby []Archive, current []store.Archive, p store.Policy, now time.Time, free uint64, v Verifiers) ([]RetentionDecision, error) {
	out := make([]RetentionDecision, len(ruby))
	twins := map[string]string{} // name and time → the store archive
	for _, a := range current {
		twins[a.Meta.Name+"@"+a.Meta.Created.UTC().Format(time.RFC3339)] = a.Path
	}
	combined := append([]store.Archive(nil), current...)
	stand := map[string]int{} // the path standing for a Ruby-era archive → its index in ruby
	for i, a := range ruby {
		name := a.BackupName()
		if twin, ok := twins[name+"@"+a.Created.UTC().Format(time.RFC3339)]; ok {
			out[i] = RetentionDecision{Archive: a, Keep: true, Twin: twin, Reason: "migrated to " + twin + ", whose retention it follows"}
			continue
		}
		s := standIn(a, name, i)
		stand[s.Path] = i
		combined = append(combined, s)
	}
	facts := store.Facts{FreeBytes: free}
	decisions := store.Plan(combined, p, now, facts)
	if removesAny(decisions) {
		for _, d := range newestFirst(combined) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			i, isRuby := stand[d.Path]
			if isRuby && v.Ruby(ctx, ruby[i]) || !isRuby && v.Store(ctx, d) {
				facts.NewestVerified = d.Path
				break
			}
		}
		decisions = store.Plan(combined, p, now, facts)
	}
	for _, d := range decisions {
		if i, ok := stand[d.Archive.Path]; ok {
			out[i] = RetentionDecision{Archive: ruby[i], Keep: d.Keep, Reason: d.Reason}
		}
	}
	return out, nil
}

// standIn is the store archive a Ruby-era one is counted as: at its time, in its
// mapped name's directory, under an extension ("ruby<N>") the store never writes,
// so that it is never taken for one of the store's own.
func standIn(a Archive, name string, i int) store.Archive {
	t := a.Created.UTC()
	base := name + "-" + t.Format("20060102T150405Z") + ".ruby" + strconv.Itoa(i)
	return store.Archive{Path: filepath.Join("/ruby-era", name, t.Format("2006-01-02"), base),
		Meta: store.Meta{Name: name, Created: t, Size: a.Size}}
}

func removesAny(decisions []store.Decision) bool {
	for _, d := range decisions {
		if !d.Keep {
			return true
		}
	}
	return false
}

// newestFirst orders archives newest first, by path within one second, as the
// store does.
func newestFirst(archives []store.Archive) []store.Archive {
	out := append([]store.Archive(nil), archives...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Meta.Created.Equal(out[j].Meta.Created) {
			return out[i].Meta.Created.After(out[j].Meta.Created)
		}
		return out[i].Path < out[j].Path
	})
	return out
}
