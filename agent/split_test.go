package agent

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// splitEngine is the test engine with a split of its own: one part per
// database it is given, each dumped by "dump <database>".
type splitEngine struct {
	testEngine
	databases []string
}

func (s splitEngine) Database(t engines.Target) string {
	if t.Spec.Database != "" {
		return t.Spec.Database
	}
	return "all"
}

func (s splitEngine) Split(_ context.Context, _ engines.Execer, t engines.Target) ([]engines.Part, error) {
	var parts []engines.Part
	for _, db := range labels.MatchDatabases(s.databases, t.Spec.Include, t.Spec.Exclude) {
		spec := t.Spec
		spec.Database, spec.Split, spec.All = db, false, false
		parts = append(parts, engines.Part{Name: db, Target: engines.Target{Container: t.Container, Spec: spec}})
	}
	return parts, nil
}

func (s splitEngine) Dump(ctx context.Context, ex engines.Execer, t engines.Target, w io.Writer) error {
	return ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"dump", t.Spec.Database}, Stdout: w})
}

// A split backup writes one archive per database, each under its own name and
// committed on its own: a part that fails leaves the others' archives, and the
// retry dumps only the missing one.
func TestSplitOneArchivePerDatabase(t *testing.T) {
	t.Parallel()
	eng := splitEngine{databases: []string{"app", "shop", "tmp_1"}}
	r := startRig(t, map[string]string{"BT_BACKUP_RETRIES": "1"}, nil, Deps{Engines: engines.NewRegistry(eng)})
	var mu sync.Mutex
	var dumped []string
	shopFails := true
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		mu.Lock()
		defer mu.Unlock()
		dumped = append(dumped, spec.Cmd[1])
		if spec.Cmd[1] == "shop" && shopFails {
			shopFails = false
			return writes("BEGIN\ncut", nil)(ctx, c, spec) // incomplete: retried
		}
		return writes(goodDump, nil)(ctx, c, spec)
	})
	r.start("db", labels.Split, "true", labels.Exclude, "tmp_*")
	r.registered("db")
	att := r.runNow("db")
	if att.Outcome != Succeeded || att.Tries != 2 {
		t.Fatalf("attempt: %+v", att)
	}
	mu.Lock()
	if got := strings.Join(dumped, " "); got != "app shop shop" {
		t.Errorf("dumped %s; want app, shop, then shop alone again", got)
	}
	mu.Unlock()
	var names []string
	for _, p := range att.Parts {
		names = append(names, p.Name+"="+p.Database)
		if filepath.Base(filepath.Dir(filepath.Dir(p.Archive))) != p.Name {
			t.Errorf("part %s is not filed under its name: %s", p.Name, p.Archive)
		}
	}
	if strings.Join(names, " ") != "db.app=app db.shop=shop" {
		t.Errorf("parts: %v", names)
	}
}

// A part filed under a name another container's backups use is refused, not
// mixed in with them; the other parts are written.
func TestSplitPartNameConflict(t *testing.T) {
	t.Parallel()
	eng := splitEngine{databases: []string{"app", "shop"}}
	r := startRig(t, nil, nil, Deps{Engines: engines.NewRegistry(eng)})
	r.docker.OnExec(writes(goodDump, nil))
	r.start("other", labels.Name, "db.shop")
	r.start("db", labels.Split, "true")
	r.registered("other")
	r.registered("db")
	att := r.runNow("db")
	if att.Outcome != Failed || !strings.Contains(att.Error, `would be filed under "db.shop", the backup name of container other`) {
		t.Fatalf("attempt: %+v", att)
	}
	if len(att.Parts) != 1 || att.Parts[0].Name != "db.app" {
		t.Errorf("parts written: %+v", att.Parts)
	}
}

// An engine without a split says so, naming the container.
func TestSplitNotSupported(t *testing.T) {
	t.Parallel()
	r := startWithTarget(t, nil, labels.Split, "true")
	att := r.runNow("db")
	if att.Outcome != Failed || !strings.Contains(att.Error, "container db: engines: not supported") {
		t.Errorf("attempt: %+v", att)
	}
	if slices.ContainsFunc(r.seen.finishedOf("db"), func(a Attempt) bool { return a.Archive != "" }) {
		t.Error("an archive was written")
	}
}

func TestPartName(t *testing.T) {
	if got := PartName("db", "app"); got != "db.app" {
		t.Error(got)
	}
	if got := PartName("db", "my shop"); !strings.HasPrefix(got, "db.my_shop-") {
		t.Errorf("a database name with a space: %q", got)
	}
}

// A container refused because another already backs up under its name holds no
// name: the holder's own backups go on (the split's name check once counted the
// refused one as a holder and failed them).
func TestARefusedNamesakeDoesNotStopTheHolder(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil, Deps{})
	r.docker.OnExec(writes(goodDump, nil))
	r.start("first", labels.Name, "shared")
	r.registered("first")
	r.start("second", labels.Name, "shared")
	r.registered("second")
	if att := r.runNow("first"); att.Outcome != Succeeded {
		t.Fatalf("the holder's backup beside a refused namesake: %+v", att)
	}
}
