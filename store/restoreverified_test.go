package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	sealKey  = bytes.Repeat([]byte{7}, SealKeySize)
	otherKey = bytes.Repeat([]byte{9}, SealKeySize)
)

// passed is a sealed verification of the archive meta describes.
func passed(meta Meta, key []byte, at time.Time) RestoreVerification {
	v := RestoreVerification{At: at, Image: "postgres:15", Checks: 7, Duration: 12.5, SHA256: meta.SHA256,
		Counts: RestoreCounts{Databases: 1, Tables: 3, Rows: 12001}}
	return v.Sealed(key, meta.File)
}

func TestRestoreVerificationIsTrustedOnlyWithItsKeyAndArchive(t *testing.T) {
	meta := Meta{File: "db-20260315T120000Z.sql.zst", SHA256: strings.Repeat("ab", 32)}
	good := passed(meta, sealKey, now)
	for _, tc := range []struct {
		name   string
		meta   func(m *Meta)
		key    []byte
		change func(v *RestoreVerification)
		want   bool
	}{
		{name: "sealed with the key, for this archive", want: true},
		{name: "another key", key: otherKey},
		{name: "no key", key: []byte{}},
		{name: "no seal", change: func(v *RestoreVerification) { v.Seal = "" }},
		{name: "a seal that is not hex", change: func(v *RestoreVerification) { v.Seal = "zz" + v.Seal[2:] }},
		{name: "a later time", change: func(v *RestoreVerification) { v.At = v.At.Add(time.Second) }},
		{name: "more checks", change: func(v *RestoreVerification) { v.Checks++ }},
		{name: "other counts", change: func(v *RestoreVerification) { v.Counts.Rows++ }},
		{name: "another image", change: func(v *RestoreVerification) { v.Image = "evil:1" }},
		{name: "another duration", change: func(v *RestoreVerification) { v.Duration = 1 }},
		{name: "copied to another archive", meta: func(m *Meta) { m.File = "db-20260316T120000Z.sql.zst" }},
		{name: "the archive changed", meta: func(m *Meta) { m.SHA256 = strings.Repeat("cd", 32) }},
		{name: "the seal's archive changed", change: func(v *RestoreVerification) { v.SHA256 = strings.Repeat("cd", 32) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, v := meta, good
			if tc.meta != nil {
				tc.meta(&m)
			}
			if tc.change != nil {
				tc.change(&v)
			}
			m.RestoreVerified = &v
			key := sealKey
			if tc.key != nil {
				key = tc.key
			}
			if got := m.TrustedRestoreVerification(key) != nil; got != tc.want {
				t.Errorf("trusted = %v, want %v", got, tc.want)
			}
		})
	}
	if (Meta{}).TrustedRestoreVerification(sealKey) != nil {
		t.Error("metadata without a verification is trusted")
	}
}

// The seal survives the trip through the .json sidecar (times, floats).
func TestRecordRestoreVerifiedWritesASealedVerification(t *testing.T) {
	root := t.TempDir()
	path, meta := writeArchive(t, root, "db", now, []byte("dump"), Options{})
	sumBefore, _ := os.ReadFile(path + ChecksumExt)
	at := time.Date(2026, 3, 15, 12, 3, 4, 123456789, time.FixedZone("CET", 3600))
	v := passed(meta, sealKey, at)
	v.Duration = 0.1 + 0.2 // a float that does not print short
	v = v.Sealed(sealKey, meta.File)
	if err := RecordRestoreVerified(context.Background(), path, v); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetaFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rv := got.TrustedRestoreVerification(sealKey)
	if rv == nil || !rv.At.Equal(at) || rv.Checks != 7 || rv.Counts.Rows != 12001 {
		t.Fatalf("recorded %+v, trusted %+v", got.RestoreVerified, rv)
	}
	got.RestoreVerified = nil
	if got.SHA256 != meta.SHA256 || got.File != meta.File || got.Size != meta.Size || !got.Created.Equal(meta.Created) {
		t.Errorf("the rest of the metadata changed: %+v, was %+v", got, meta)
	}
	if sumAfter, _ := os.ReadFile(path + ChecksumExt); !bytes.Equal(sumBefore, sumAfter) {
		t.Error("the .sha256 changed")
	}
	if _, err := Verify(context.Background(), path); err != nil {
		t.Errorf("the archive no longer verifies: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 3 {
		t.Errorf("the directory holds %d entries, want the archive and its two sidecars: %v", len(entries), entries)
	}
}

func TestRecordRestoreVerifiedRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, path string, v *RestoreVerification)
		want    error
	}{
		{"another archive's verification", func(t *testing.T, _ string, v *RestoreVerification) {
			v.SHA256 = strings.Repeat("cd", 32)
		}, ErrDamaged},
		{"a .json that is a link", func(t *testing.T, path string, _ *RestoreVerification) {
			other := filepath.Join(t.TempDir(), "elsewhere.json")
			b, _ := os.ReadFile(path + MetaExt)
			writeT(t, other, b)
			if err := os.Remove(path + MetaExt); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, path+MetaExt); err != nil {
				t.Fatal(err)
			}
		}, ErrRefused},
		{"an archive gone", func(t *testing.T, path string, _ *RestoreVerification) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, meta := writeArchive(t, t.TempDir(), "db", now, []byte("dump"), Options{})
			v := passed(meta, sealKey, now)
			tc.prepare(t, path, &v)
			before, _ := os.ReadFile(path + MetaExt)
			err := RecordRestoreVerified(context.Background(), path, v)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if after, _ := os.ReadFile(path + MetaExt); !bytes.Equal(before, after) {
				t.Error("the .json changed")
			}
		})
	}
}

func writeT(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// With a count=1 policy, the newest archive whose restore-verification this
// agent sealed is kept; one sealed with another key, or one whose seal is not
// asked for (test-restores off), is not; archives a test-restore reads are kept.
func TestPruneKeepsTheNewestRestoreVerifiedArchive(t *testing.T) {
	for _, tc := range []struct {
		name          string
		sealWith      []byte
		opts          PruneOptions
		keepVerified  bool
		keepOlder     bool
		keepInUse     bool
		inUseOlderArg bool
	}{
		{name: "sealed with the key", sealWith: sealKey, opts: PruneOptions{RestoreVerifiedKey: sealKey}, keepVerified: true},
		{name: "forged: another key", sealWith: otherKey, opts: PruneOptions{RestoreVerifiedKey: sealKey}},
		{name: "test-restores off", sealWith: sealKey, opts: PruneOptions{}},
		{name: "in use by a test-restore", sealWith: otherKey, inUseOlderArg: true, keepInUse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			var paths []string
			var metas []Meta
			for i := 3; i >= 0; i-- {
				p, m := writeArchive(t, root, "db", now.Add(-time.Duration(i)*time.Hour), []byte("dump"), Options{})
				paths, metas = append(paths, p), append(metas, m)
			}
			// paths[1] restore-verified; paths[0] older and verified too (only the newest counts).
			for _, i := range []int{0, 1} {
				if err := RecordRestoreVerified(context.Background(), paths[i], passed(metas[i], tc.sealWith, now)); err != nil {
					t.Fatal(err)
				}
			}
			opts := tc.opts
			if tc.inUseOlderArg {
				opts.InUse = []string{paths[0]}
			}
			decisions, err := Prune(context.Background(), root, "db", Policy{MaxCount: 1}, now, opts)
			if err != nil {
				t.Fatal(err)
			}
			exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
			if exists(paths[1]) != tc.keepVerified {
				t.Errorf("newest restore-verified archive kept = %v, want %v: %+v", exists(paths[1]), tc.keepVerified, decisions)
			}
			if exists(paths[0]) != tc.keepInUse {
				t.Errorf("the older archive kept = %v, want %v: %+v", exists(paths[0]), tc.keepInUse, decisions)
			}
			if exists(paths[2]) || !exists(paths[3]) {
				t.Errorf("count=1 did not keep just the newest besides: %+v", decisions)
			}
			for _, d := range decisions {
				if d.Archive.Path == paths[1] && tc.keepVerified && !strings.Contains(d.Reason, "restore-verified") {
					t.Errorf("the reason does not say why: %q", d.Reason)
				}
			}
		})
	}
}

// The free-space rule spares the newest restore-verified archive too.
func TestPlanFreeSpaceSparesTheNewestRestoreVerified(t *testing.T) {
	archives := series(now.Add(-time.Hour), 24*time.Hour, 4, 100<<20)
	facts := Facts{FreeBytes: 0, NewestVerified: archives[3].Path, NewestRestoreVerified: archives[0].Path}
	decisions := Plan(archives, Policy{MinFreeBytes: 1 << 40}, now, facts)
	if !decisions[0].Keep || !decisions[3].Keep || decisions[1].Keep || decisions[2].Keep {
		t.Errorf("decisions = %+v", decisions)
	}
}

func TestNewest(t *testing.T) {
	root := t.TempDir()
	if _, found, err := Newest(context.Background(), filepath.Join(root, "missing"), "db"); found || err != nil {
		t.Errorf("a missing root: found %v, err %v", found, err)
	}
	writeArchive(t, root, "db", now.Add(-time.Hour), []byte("old"), Options{})
	want, _ := writeArchive(t, root, "db", now, []byte("new"), Options{})
	writeArchive(t, root, "other", now.Add(time.Minute), []byte("x"), Options{})
	a, found, err := Newest(context.Background(), root, "db")
	if err != nil || !found || a.Path != want {
		t.Errorf("Newest = %s, %v, %v; want %s", a.Path, found, err, want)
	}
	if _, found, err := Newest(context.Background(), root, "none"); found || err != nil {
		t.Errorf("a name without archives: found %v, err %v", found, err)
	}
}
