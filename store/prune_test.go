package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPruneRemovesWhatThePlanSays(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	var paths []string
	for i := 5; i >= 0; i-- {
		p, _ := writeArchive(t, root, "db", now.Add(-time.Duration(i)*24*time.Hour), []byte("dump"), Options{})
		paths = append(paths, p)
	}
	otherName, _ := writeArchive(t, root, "cache", now.Add(-10*24*time.Hour), []byte("x"), Options{})

	// Dry run: decisions, nothing removed.
	decisions, err := Prune(context.Background(), root, "db", Policy{MaxCount: 2}, now, PruneOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(decisions) != 6 || decisions[0].Keep || !decisions[5].Keep {
		t.Fatalf("decisions = %+v", decisions)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("dry run removed %s", p)
		}
	}

	if _, err := Prune(context.Background(), root, "db", Policy{MaxCount: 2}, now, PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		_, err := os.Stat(p)
		if kept := i >= 4; kept != (err == nil) {
			t.Errorf("%s: kept=%v, stat error %v", p, kept, err)
		}
		for _, sc := range []string{p + ChecksumExt, p + MetaExt} {
			if _, scErr := os.Stat(sc); (scErr == nil) != (err == nil) {
				t.Errorf("sidecar %s outlived (or died before) its archive", sc)
			}
		}
	}
	if _, err := os.Stat(filepath.Dir(paths[0])); !os.IsNotExist(err) {
		t.Errorf("an emptied day directory stays: %v", err)
	}
	if _, err := Verify(context.Background(), otherName); err != nil {
		t.Errorf("another name's archive suffered: %v", err)
	}
}

func TestPruneNeverRemovesNewestVerified(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	var paths []string
	for i := 3; i >= 0; i-- {
		p, _ := writeArchive(t, root, "db", now.Add(-time.Duration(i)*24*time.Hour), []byte("dump"), Options{})
		paths = append(paths, p)
	}
	// The two newest are damaged: the third newest is the newest good one.
	for _, p := range paths[2:] {
		if err := os.WriteFile(p, []byte("DUMP"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	decisions, err := Prune(context.Background(), root, "db", Policy{MaxCount: 1}, now, PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !decisions[1].Keep || decisions[0].Keep {
		t.Errorf("decisions = %+v", decisions)
	}
	if _, err := Verify(context.Background(), paths[1]); err != nil {
		t.Errorf("the newest good archive is gone or damaged: %v", err)
	}
	// Everything too old by age: the newest good one still stays.
	decisions, err = Prune(context.Background(), root, "db", Policy{MaxAge: time.Hour}, now, PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), paths[1]); err != nil {
		t.Errorf("max age removed the only good archive: %v (%+v)", err, decisions)
	}
}

// The archive the caller names as verified (the one it just committed) is taken as
// the newest good one without being read: here its bytes are damaged, yet it is
// kept, and the older good archive may go.
func TestPruneTrustsTheArchiveJustCommitted(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	older, _ := writeArchive(t, root, "db", now.Add(-time.Hour), []byte("dump"), Options{})
	newest, _ := writeArchive(t, root, "db", now, []byte("dump"), Options{})
	if err := os.WriteFile(newest, []byte("DUMP"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Prune(context.Background(), root, "db", Policy{MaxCount: 1}, now, PruneOptions{Verified: newest}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(newest); err != nil {
		t.Errorf("the committed archive is gone: %v", err)
	}
	if _, err := os.Stat(older); !os.IsNotExist(err) {
		t.Errorf("the older archive stays although the newest counts as verified: %v", err)
	}
}

func TestPruneRejectsBadName(t *testing.T) {
	if _, err := Prune(context.Background(), t.TempDir(), "../etc", Policy{MaxCount: 1}, time.Now(), PruneOptions{}); err == nil {
		t.Error("Prune accepted a name with a path in it")
	}
}

func TestPruneRotatesEncryptedArchives(t *testing.T) {
	root := t.TempDir()
	_, enc := testKey(t) // the pruner never sees the private key
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	var paths []string
	for i := 4; i >= 0; i-- {
		p, _ := writeArchive(t, root, "db", now.Add(-time.Duration(i)*time.Hour), []byte("secret dump"), Options{Encryption: enc})
		paths = append(paths, p)
	}
	decisions, err := Prune(context.Background(), root, "db", Policy{MaxCount: 2}, now, PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		_, statErr := os.Stat(p)
		if kept := i >= 3; kept != (statErr == nil) || decisions[i].Keep != kept {
			t.Errorf("%s: on disk %v, decision %+v; want kept=%v", p, statErr == nil, decisions[i], kept)
		}
	}
	if !strings.HasPrefix(decisions[4].Reason, "newest archive that passes verify") {
		t.Errorf("the newest encrypted archive was not verified without its key: %q", decisions[4].Reason)
	}
}

// Two archives committed in the same second: the second (named "-1") is the
// newer one, so a count of 1 keeps it (the one just committed) and removes the
// first — found by the plugin test, where retention kept both.
func TestPruneOrdersArchivesOfOneSecondByCommit(t *testing.T) {
	root := t.TempDir()
	created := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	first, _ := writeArchive(t, root, "db", created, []byte("dump"), Options{})
	second, _ := writeArchive(t, root, "db", created, []byte("dump"), Options{})
	if !strings.HasSuffix(strings.TrimSuffix(second, ".sql.zst"), "-1") {
		t.Fatalf("the second archive of the second is %s, want a -1 name", second)
	}
	decisions, err := Prune(context.Background(), root, "db", Policy{MaxCount: 1}, time.Now(), PruneOptions{Verified: second})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range decisions {
		if want := d.Archive.Path == second; d.Keep != want {
			t.Errorf("%s: keep=%v (%s), want keep=%v", d.Archive.Path, d.Keep, d.Reason, want)
		}
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("the older archive of the same second is still there: %v", err)
	}
}
