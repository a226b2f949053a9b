package drill

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// fakeHost lists and removes scratch containers; everything else fails.
type fakeHost struct {
	containers []Leftover
	removed    []string
	failRemove string
}

func (f *fakeHost) Exec(context.Context, docker.ExecSpec) error { return errors.New("no exec") }
func (f *fakeHost) Restart(context.Context, string) error       { return errors.New("no restart") }
func (f *fakeHost) Inspect(context.Context, string) (docker.Container, error) {
	return docker.Container{}, errors.New("no inspect")
}
func (f *fakeHost) ImageExists(context.Context, string) (bool, error) { return false, nil }
func (f *fakeHost) CreateScratch(context.Context, ScratchSpec) (string, error) {
	return "", errors.New("no create")
}
func (f *fakeHost) Start(context.Context, string) error { return errors.New("no start") }
func (f *fakeHost) Isolation(context.Context, string) (string, []string, bool, error) {
	return "", nil, false, errors.New("no inspect")
}
func (f *fakeHost) Remove(_ context.Context, id string) error {
	if id == f.failRemove {
		return errors.New("daemon says no")
	}
	f.removed = append(f.removed, id)
	return nil
}
func (f *fakeHost) ListScratch(context.Context) ([]Leftover, error) { return f.containers, nil }

func TestSweep(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	scratch := func(id, deadline, owner string) Leftover {
		return Leftover{ID: id, Name: "n-" + id, Labels: map[string]string{LabelScratch: "true", LabelDeadline: deadline, LabelOwner: owner}}
	}
	h := &fakeHost{containers: []Leftover{
		scratch("running-cli", now.Add(time.Minute).Format(time.RFC3339), "cli"),
		scratch("running-agent", now.Add(time.Minute).Format(time.RFC3339), "agent"),
		scratch("expired", now.Add(-time.Second).Format(time.RFC3339), "cli"),
		scratch("garbled", "tomorrow", "cli"),
		scratch("stuck", now.Add(-time.Hour).Format(time.RFC3339), "cli"),
	}, failRemove: "stuck"}
	removed, err := Sweep(context.Background(), h, "agent", now)
	if want := []string{"running-agent", "expired", "garbled"}; strings.Join(h.removed, ",") != strings.Join(want, ",") {
		t.Errorf("removed %v, want %v (a test-restore in progress of another owner is kept)", h.removed, want)
	}
	if len(removed) != 3 || err == nil || !strings.Contains(err.Error(), "n-stuck") {
		t.Errorf("Sweep = %v, %v; want three names and an error naming n-stuck", removed, err)
	}
}

func TestChooseImage(t *testing.T) {
	h := &fakeHost{}
	for _, tc := range []struct {
		name  string
		given string
		image *store.ImageRef
		want  string
		err   string
	}{
		{"given wins", "mine:1", &store.ImageRef{Name: "x"}, "mine:1", ""},
		{"none recorded", "", nil, "", "--image"},
		{"recorded but gone", "", &store.ImageRef{Name: "postgres:15", ID: "sha256:abc"}, "", "pull it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseImage(context.Background(), h, tc.given, &Source{Kind: KindArchive, Image: tc.image})
			if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("chooseImage = %q, %v; want %q, an error with %q", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestReportExpected(t *testing.T) {
	recorded := &store.Contents{Databases: []store.DatabaseContents{{Name: "app", Tables: []store.TableRows{{Schema: "public", Name: "t", Rows: 10}}}}}
	cut := &store.Contents{Databases: []store.DatabaseContents{{Name: "app", Tables: []store.TableRows{{Schema: "public", Name: "t", Rows: 9}}}}}
	rep := &Report{Expected: recorded}
	if got := rep.expected(cut, nil); got != recorded {
		t.Fatal("the recorded counts are not what the restore is compared with")
	}
	err := rep.err()
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != "dump matches the counts recorded at backup" ||
		!strings.Contains(err.Error(), "counted at backup 10, the archive's dump holds 9") {
		t.Fatalf("err = %v", err)
	}
	var out bytes.Buffer
	rep.Write(&out)
	if !strings.Contains(out.String(), "FAIL  dump matches") || !strings.Contains(out.String(), "FAILED: 1 check(s), 1 failed") {
		t.Errorf("report:\n%s", out.String())
	}

	rep = &Report{}
	if got := rep.expected(cut, nil); got != cut || !strings.Contains(rep.ExpectedFrom, "records no counts") {
		t.Errorf("an archive without counts is compared with %v (%s)", got, rep.ExpectedFrom)
	}
	_ = rep.add(engines.Check{Name: "restore"})
	if !rep.Passed() {
		t.Error("a report of passed checks did not pass")
	}
	if (&Report{}).Passed() {
		t.Error("a report without checks passed")
	}
}

func TestCompareContentsRedisKeys(t *testing.T) {
	want := &store.Contents{Databases: []store.DatabaseContents{{Name: "0", Keys: 10, ExpiringKeys: 2}}}
	for got, ok := range map[int64]bool{10: true, 8: true, 7: false, 11: false} {
		checks := engines.CompareContents(want, &store.Contents{Databases: []store.DatabaseContents{{Name: "0", Keys: got}}})
		failed := false
		for _, c := range checks {
			failed = failed || c.Err != nil
		}
		if failed == ok {
			t.Errorf("%d keys restored of 10 (2 expiring): failed = %v", got, failed)
		}
	}
}

func TestPlainName(t *testing.T) {
	for name, ok := range map[string]bool{"app": true, "/data/app.db": true, "My DB ✓": true, "a`b": false, "a\nb": false,
		"a\\b": false, strings.Repeat("x", 300): false} {
		if err := plainName(name); (err == nil) != ok {
			t.Errorf("plainName(%q) = %v", name, err)
		}
	}
}

// A dump of one database is compared under the archive's database name; a dump
// of every database keeps its own names, even when it holds one (an RDB of
// Redis database 0 alone: the archive records "all").
func TestNameAsRestored(t *testing.T) {
	for _, tc := range []struct {
		name, database, streamed, want string
		all                            bool
	}{
		{"pg_dump of one database", "app", "", "app", false},
		{"mysqldump header names another", "app", "shop", "app", false},
		{"RDB of database 0 alone", "all", "0", "0", false},
		{"pg_dumpall of one database", "all", "app", "app", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &store.Contents{Databases: []store.DatabaseContents{{Name: tc.streamed}}}
			nameAsRestored(c, tc.database, tc.all)
			if got := c.Databases[0].Name; got != tc.want {
				t.Errorf("named %q, want %q", got, tc.want)
			}
		})
	}
}
