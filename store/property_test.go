package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestNothingButOurOwnIsEverDeleted is the "never delete" property: random trees
// of archives, sidecars, foreign files, links, FIFOs and damaged metadata, random
// policies. After Cleanup and Prune of every name, every file baktainer did not
// produce is as it was (links still point where they pointed, FIFOs are still
// FIFOs, a file outside the root reached through a link is untouched), every
// archive it cannot trust is as it was, and the newest archive of every name that
// verifies is still there and still verifies.
func TestNothingButOurOwnIsEverDeleted(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	for i := 0; i < 12; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkNeverDelete(t, rng) })
	}
}

// tree is a random store root and what the test knows about it.
type tree struct {
	root, outside string
	now           time.Time
	ours          map[string]bool // files baktainer produced and may remove
	kept          map[string]bool // files that must stay exactly as they are
}

func checkNeverDelete(t *testing.T, rng *rand.Rand) {
	tr := &tree{root: t.TempDir(), outside: t.TempDir(), now: time.Now().UTC().Truncate(time.Second),
		ours: map[string]bool{}, kept: map[string]bool{}}
	names := []string{"shop", "cache", "eu-db"}[:1+rng.IntN(3)]
	for _, name := range names {
		for range rng.IntN(7) {
			tr.archive(t, rng, name)
		}
	}
	tr.plantForeign(t, rng, names)
	newest := map[string]string{}
	for _, name := range names {
		newest[name] = tr.newestVerifying(t, name)
	}
	before := snapshot(t, tr.root)
	outsideBefore := snapshot(t, tr.outside)
	p := randomPolicy(rng)

	if _, err := Cleanup(context.Background(), tr.root); err != nil {
		var problems *ProblemsError
		if !errors.As(err, &problems) {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		_, _ = Prune(context.Background(), tr.root, name, p, tr.now, PruneOptions{})
	}

	after := snapshot(t, tr.root)
	for path, content := range before {
		if tr.ours[path] && !tr.kept[path] {
			continue
		}
		if got, ok := after[path]; !ok || got != content {
			t.Errorf("policy %s: %s (not baktainer's to remove) was removed or changed", p, path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("policy %s: %s appeared", p, path)
		}
	}
	if !mapsEqual(outsideBefore, snapshot(t, tr.outside)) {
		t.Errorf("policy %s: something outside the root changed", p)
	}
	for name, path := range newest {
		if path == "" {
			continue
		}
		if _, err := Verify(context.Background(), path); err != nil {
			t.Errorf("policy %s: the newest archive of %s that verified is gone: %v", p, name, err)
		}
	}
}

// archive commits a random archive of name, sometimes damaged in one of the ways
// a volume's other users can damage it.
func (tr *tree) archive(t *testing.T, rng *rand.Rand, name string) {
	created := tr.now.Add(-time.Duration(rng.IntN(90*24)) * time.Hour).Add(-time.Duration(rng.IntN(3600)) * time.Second)
	comp := []Compression{Zstd, Gzip, None}[rng.IntN(3)]
	path, _ := writeArchive(t, tr.root, name, created, []byte(fmt.Sprintf("dump %d", rng.Int())), Options{Compression: comp})
	files := []string{path, path + ChecksumExt, path + MetaExt}
	for _, f := range files {
		tr.ours[f] = true
	}
	switch rng.IntN(8) {
	case 0: // garbage metadata: untrusted, kept as it is
		mustWrite(t, path+MetaExt, "{ not json")
		tr.keep(files...)
	case 1: // metadata that dates it otherwise: untrusted
		rewriteMeta(t, path, func(m *Meta) { m.Created = m.Created.Add(-time.Hour) })
		tr.keep(files...)
	case 2: // damaged bytes: trusted by its sidecars, fails verify (may be pruned)
		if err := os.WriteFile(path, []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
	case 3: // planted in the future, with matching sidecars: untrusted
		planted, _ := writeArchive(t, tr.root, name, tr.now.Add(time.Duration(1+rng.IntN(1000))*24*time.Hour), []byte("planted"), Options{})
		tr.keep(planted, planted+ChecksumExt, planted+MetaExt)
	}
}

func (tr *tree) keep(paths ...string) {
	for _, p := range paths {
		tr.kept[p] = true
	}
}

// plantForeign adds what is not baktainer's: files named like sidecars and temp
// files outside the layout, links and FIFOs named like archives, sidecars and
// layout directories; and baktainer's own leftovers, which Cleanup may remove.
func (tr *tree) plantForeign(t *testing.T, rng *rand.Rand, names []string) {
	name := names[rng.IntN(len(names))]
	day := tr.now.Format(dayLayout)
	stamp := name + "-" + tr.now.Add(-time.Minute).Format(timestampLayout)
	secret := filepath.Join(tr.outside, "secret.json")
	mustWrite(t, secret, "outside the root")
	mustWrite(t, filepath.Join(tr.outside, "2026-01-01", stamp+".sql.zst.json"), "outside")
	foreign := []string{
		"package.json", ".config/s.json", "notes.sha256", tempPrefix + "x/y.json",
		name + "/settings.json", name + "/not-a-date/" + stamp + ".sql.zst.json",
		".hidden/" + day + "/" + stamp + ".sql.zst.json", name + "/" + day + "/sub/" + stamp + ".sql.zst.sha256",
		name + "/" + day + "/readme.json", name + "/" + day + "/" + stamp + ".json",
		"intruder/" + day + "/" + name + "-" + tr.now.Format(timestampLayout) + ".sql.zst.json",
	}
	for _, f := range foreign {
		if rng.IntN(3) > 0 {
			mustWrite(t, filepath.Join(tr.root, f), "foreign "+f)
		}
	}
	dayDir := filepath.Join(tr.root, name, day)
	if err := os.MkdirAll(dayDir, 0o750); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		filepath.Join(dayDir, stamp+"-2.sql.zst"):          secret,
		filepath.Join(dayDir, stamp+"-3.sql.zst.json"):     secret,
		filepath.Join(dayDir, tempPrefix+stamp+".sql-abc"): secret,
		filepath.Join(tr.root, name, "2020-02-02"):         tr.outside,
		filepath.Join(tr.root, "linked-name"):              tr.outside,
	}
	for link, target := range links {
		if rng.IntN(2) == 0 {
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, fifo := range []string{stamp + "-4.sql.zst", stamp + "-5.sql.zst.json", stamp + "-6.sql.zst.sha256", tempPrefix + "fifo"} {
		if rng.IntN(2) == 0 {
			if err := unix.Mkfifo(filepath.Join(dayDir, fifo), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	// baktainer's own leftovers: a crashed writer's temp file, orphan sidecars.
	for _, f := range []string{tempPrefix + stamp + ".sql.zst-1", stamp + "-7.sql.zst.json", stamp + "-8.sql.gz.age.sha256"} {
		if rng.IntN(2) == 0 {
			p := filepath.Join(dayDir, f)
			mustWrite(t, p, "leftover")
			tr.ours[p] = true
		}
	}
}

// newestVerifying returns the newest archive of name that Scan trusts and Verify
// passes, or "".
func (tr *tree) newestVerifying(t *testing.T, name string) string {
	l, err := scan(context.Background(), tr.root, name, tr.now)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(l.Archives) - 1; i >= 0; i-- {
		if _, err := Verify(context.Background(), l.Archives[i].Path); err == nil {
			return l.Archives[i].Path
		}
	}
	return ""
}

func randomPolicy(rng *rand.Rand) Policy {
	p := Policy{
		MaxCount: rng.IntN(4), MaxAge: time.Duration(rng.IntN(40)) * day,
		KeepDaily: rng.IntN(3), KeepWeekly: rng.IntN(3), KeepMonthly: rng.IntN(3),
	}
	if rng.IntN(4) == 0 {
		p.MinFreeBytes = 1 << 62 // never met: everything goes that may go
	}
	if rng.IntN(3) == 0 {
		p.KeepDaily, p.KeepWeekly, p.KeepMonthly = 0, 0, 0
	}
	return p
}
