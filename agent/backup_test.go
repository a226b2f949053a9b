package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// RunBackup commits an archive only when the dump tool succeeded and the engine
// recognises the dump as complete; on any failure nothing is left, and the error
// names the container.
func TestRunBackupFailurePaths(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		exec     fakedocker.ExecFunc
		root     string // "" a fresh directory
		label    []string
		wantErr  string
		wantKind ErrorKind
		wantExt  string
	}{
		{"complete dump", writes(goodDump, nil), "", nil, "", "", ".dump.zst"},
		{"the container's compression", writes(goodDump, nil), "", []string{labels.Compress, "gzip"}, "", "", ".dump.gz"},
		{"the tool fails", writes(dumpBegin, &docker.ExitError{Command: "dump", Code: 2, Stderr: "no such database"}), "", nil,
			"container db: dump: dump exited with code 2: no such database", KindDumpTool, ""},
		{"cut short", writes(dumpBegin+"half a row", nil), "", nil,
			"container db: fake dump of 16 bytes rejected", KindIncomplete, ""},
		{"nothing at all", writes("", nil), "", nil, "fake dump of 0 bytes rejected", KindIncomplete, ""},
		{"the root is a file", writes(goodDump, nil), file, nil, "container db: store: create the archive of db", KindStorage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dc := fakedocker.New()
			dc.OnExec(tc.exec)
			c := dc.Start(docker.Container{Name: "db", Labels: targetLabels(tc.label...)})
			target, eng, err := Resolve(t.Context(), dc, engines.NewRegistry(testEngine{}), "db")
			if err != nil {
				t.Fatal(err)
			}
			root := tc.root
			if root == "" {
				root = t.TempDir()
			}
			copied := &recordedCopy{}
			start := func(p *store.Pending) EarlyCopy {
				copied.started = true
				return copied
			}
			res, err := RunBackup(t.Context(), dc, quietLog(), Job{Target: target, Engine: eng, Root: root, StartCopy: start})
			if copied.started && copied.cancelled != (err != nil) || err == nil && res.Copy != copied {
				t.Errorf("the copy started while writing: cancelled %v, handed on %v; backup error %v", copied.cancelled, res.Copy != nil, err)
			}
			if tc.wantErr != "" {
				kind, _ := classify(err)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || kind != tc.wantKind {
					t.Fatalf("RunBackup = %v (%s); want an error saying %q, %s", err, kind, tc.wantErr, tc.wantKind)
				}
				if archives, _ := store.List(context.Background(), root); len(archives) != 0 {
					t.Errorf("a failed backup left %v", archives)
				}
				if entries, _ := os.ReadDir(filepath.Join(root, "db")); len(entries) != 0 {
					t.Errorf("a failed backup left %v", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := res.Meta
			if !strings.HasSuffix(res.Path, tc.wantExt) || m.Name != "db" || m.Container != "db" || m.ContainerID != c.ID ||
				m.Engine != testEngineName || m.Database != "all" || m.DumpSize != int64(len(goodDump)) {
				t.Errorf("RunBackup = %s, %+v", res.Path, m)
			}
			if _, err := store.Verify(t.Context(), res.Path); err != nil {
				t.Errorf("the archive does not verify: %v", err)
			}
		})
	}
}

// recordedCopy is an EarlyCopy that records what RunBackup did with it.
type recordedCopy struct{ started, cancelled bool }

func (r *recordedCopy) Finish(context.Context, string) (offsite.Upload, error) {
	return offsite.Upload{}, nil
}
func (r *recordedCopy) Cancel() { r.cancelled = true }

// Resolve reports every label problem of a container, naming it; a container
// that is not there is not found.
func TestResolve(t *testing.T) {
	t.Parallel()
	dc := fakedocker.New()
	dc.Start(docker.Container{Name: "bad", Labels: map[string]string{labels.Backup: "true", labels.Engine: "oracle", labels.KeepCount: "-1"}})
	reg := engines.NewRegistry(testEngine{})
	_, _, err := Resolve(t.Context(), dc, reg, "bad")
	var le *labels.Error
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "container bad") || !strings.Contains(err.Error(), labels.Engine) ||
		!strings.Contains(err.Error(), labels.KeepCount) {
		t.Errorf("Resolve(bad) = %v", err)
	}
	if _, _, err := Resolve(t.Context(), dc, reg, "missing"); err == nil {
		t.Error("Resolve(missing) succeeded")
	} else if kind, _ := classify(err); kind != KindContainerGone {
		t.Errorf("Resolve(missing) = %v (%s)", err, kind)
	}
}
