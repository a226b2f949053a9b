package legacy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// #13: retention counts a name's Ruby-era archives with the store's archives of the
// same (mapped) name, as one history; a Ruby archive Migrate copied follows its
// copy; the newest archive that verifies, of either kind, is never removed.
func TestPlanRetention(t *testing.T) {
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	root := "/backups"
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	current := func(ages ...int) []store.Archive {
		var out []store.Archive
		for _, a := range ages {
			c := day(a)
			out = append(out, store.Archive{Path: filepath.Join(root, "MyApp", c.Format("2006-01-02"), "MyApp-"+c.Format("20060102T150405Z")+".sql.zst"),
				Meta: store.Meta{Name: "MyApp", Created: c, Size: 100}})
		}
		return out
	}
	ruby := func(ages ...int) []Archive {
		var out []Archive
		for _, a := range ages {
			c := day(a)
			out = append(out, Archive{Path: filepath.Join(root, c.Format("2006-01-02"), fmt.Sprintf(`"MyApp"-%d.sql.gz`, c.Unix())),
				Name: `"MyApp"`, Created: c, Gzip: true, Size: 100})
		}
		return out
	}
	all := func(context.Context, string) bool { return true }
	none := func(context.Context, string) bool { return false }
	for _, tc := range []struct {
		name     string
		ruby     []Archive
		current  []store.Archive
		policy   store.Policy
		verifies func(context.Context, string) bool
		want     string // per Ruby archive, oldest first: k(eep), r(emove) or t(win)
	}{
		{"no rule", ruby(30, 20, 10), current(2, 1), store.Policy{}, all, "kkk"},
		{"count over both", ruby(30, 20, 10), current(2, 1), store.Policy{MaxCount: 3}, all, "rrk"},
		{"age", ruby(30, 20, 10), current(2, 1), store.Policy{MaxAge: 15 * 24 * time.Hour}, all, "rrk"},
		{"only Ruby archives", ruby(30, 20, 10), nil, store.Policy{MaxCount: 1}, all, "rrk"},
		{"the newest that verifies is kept", ruby(30, 20, 10), current(2, 1), store.Policy{MaxCount: 1},
			func(_ context.Context, path string) bool { return strings.Contains(path, fmt.Sprint(day(30).Unix())) }, "krr"},
		{"none verifies: the rules alone decide", ruby(30, 20), nil, store.Policy{MaxCount: 1}, none, "rk"},
		{"migrated twins follow their copy", ruby(30, 20, 10), current(20, 2, 1), store.Policy{MaxCount: 2}, all, "rtr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Verifiers{
				Store: func(ctx context.Context, a store.Archive) bool { return tc.verifies(ctx, a.Path) },
				Ruby:  func(ctx context.Context, a Archive) bool { return tc.verifies(ctx, a.Path) },
			}
			decisions, err := PlanRetention(context.Background(), tc.ruby, tc.current, tc.policy, now, 0, v)
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for i, d := range decisions {
				if d.Archive.Path != tc.ruby[i].Path || d.Reason == "" {
					t.Fatalf("decision %d: %+v", i, d)
				}
				switch {
				case d.Twin != "":
					got.WriteByte('t')
				case d.Keep:
					got.WriteByte('k')
				default:
					got.WriteByte('r')
				}
			}
			if got.String() != tc.want {
				t.Errorf("decisions %s, want %s: %+v", got.String(), tc.want, decisions)
			}
		})
	}
}
