package agent

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
	"github.com/baktainer/baktainer/store"
)

// rubyDump is a complete pg_dump, as the Ruby tool's archives hold.
const rubyDump = "--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE t (id int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n"

// writeRuby writes an archive of name as the Ruby Baktainer did, days ago, into dir.
func writeRuby(t *testing.T, dir, name string, days int) string {
	t.Helper()
	p, err := legacytest.Write(legacytest.Settings{Dir: dir}, legacytest.Backup{Name: name, Engine: "postgres",
		Database: "app", Time: time.Now().Add(-time.Duration(days) * 24 * time.Hour), Dump: []byte(rubyDump)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// migratedCopy commits the store archive Migrate would make of the Ruby-era
// archive at path: the same name and time.
func migratedCopy(t *testing.T, dir, name, path string) string {
	t.Helper()
	_, created, _, _, ok := legacy.ParseName(filepath.Base(path))
	if !ok {
		t.Fatalf("%s is not named like a Ruby-era archive", path)
	}
	p, err := store.Create(dir, store.Meta{Name: name, Engine: "postgres", Created: created}, "sql", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte(rubyDump)); err != nil {
		t.Fatal(err)
	}
	copyPath, _, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return copyPath
}

func exists(path string) bool { _, err := os.Lstat(path); return err == nil }

// Issue 13: the agent's retention after a backup counts the Ruby Baktainer's
// archives of the same (mapped) name with the store's, as `baktainer prune`
// does, removes them with their .meta (and the day directory they leave
// empty), lets a migrated original follow its copy, and never touches another
// name's.
func TestAgentRetentionCountsRubyArchives(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		count     string
		twin      bool // day 5's archive was migrated: a store copy of it exists
		wantGone  []int
		wantKept  []int
		wantPrune int
	}{
		{name: "count 2", count: "2", wantGone: []int{2, 3, 5}, wantKept: []int{1}, wantPrune: 3},
		{name: "count 1, a migrated original follows its copy", count: "1", twin: true, wantGone: []int{1, 2, 3, 5}, wantPrune: 5},
		{name: "no limit", count: "0", twin: true, wantKept: []int{1, 2, 3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startRig(t, map[string]string{"BT_RETENTION_COUNT": tc.count}, nil)
			dir := r.agent.cfg.BackupDir
			ruby := map[int]string{}
			for _, d := range []int{1, 2, 3, 5} {
				ruby[d] = writeRuby(t, dir, "db", d)
			}
			other := writeRuby(t, dir, "other", 3)
			var twin string
			if tc.twin {
				twin = migratedCopy(t, dir, "db", ruby[5])
			}
			r.docker.OnExec(writes(goodDump, nil))
			r.start("db")
			r.registered("db")
			att := r.runNow("db")
			if att.Outcome != Succeeded {
				t.Fatalf("backup: %s %s", att.Outcome, att.Error)
			}
			for _, d := range tc.wantGone {
				if exists(ruby[d]) || exists(ruby[d]+".meta") {
					t.Errorf("the Ruby-era archive of %d day(s) ago (or its .meta) outlived BT_RETENTION_COUNT=%s", d, tc.count)
				}
				if !slices.Contains(tc.wantKept, d) && exists(filepath.Dir(ruby[d])) && d != 3 { // day 3 holds "other"
					if entries, _ := os.ReadDir(filepath.Dir(ruby[d])); len(entries) == 0 {
						t.Errorf("the emptied day directory %s stayed", filepath.Dir(ruby[d]))
					}
				}
			}
			for _, d := range tc.wantKept {
				if !exists(ruby[d]) || !exists(ruby[d]+".meta") {
					t.Errorf("the Ruby-era archive of %d day(s) ago went (BT_RETENTION_COUNT=%s)", d, tc.count)
				}
			}
			if !exists(other) || !exists(att.Archive) {
				t.Errorf("another name's Ruby-era archive (%v) or the new archive (%v) went", exists(other), exists(att.Archive))
			}
			if tc.twin && slices.Contains(tc.wantGone, 5) == exists(twin) {
				t.Errorf("the migrated copy %s: exists %v", twin, exists(twin))
			}
			if att.Pruned != tc.wantPrune {
				t.Errorf("the attempt says %d archive(s) pruned, want %d", att.Pruned, tc.wantPrune)
			}
		})
	}
}
