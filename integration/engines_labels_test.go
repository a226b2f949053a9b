//go:build integration

package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
)

// engBinary builds the baktainer command once for the tests that run it.
var engBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "baktainer-engines-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "baktainer")
	cmd := exec.Command("go", "build", "-tags", "nosystemd", "-o", bin, "./cmd/baktainer")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("go build ./cmd/baktainer: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
})

// engRun runs the baktainer command and returns its output and exit code.
func engRun(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := engBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run baktainer %v: %v", args, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// TestLabelsCheckAndBadLabels: `baktainer labels check` lists every label problem
// of every container, naming each label, and fails; a backup of such a container
// fails with the same problems and writes nothing.
func TestLabelsCheckAndBadLabels(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	run := rig.RunID()
	start := func(name string, set map[string]string) string {
		set[rig.RunLabel] = run
		return rig.Start(t, dc, rig.ContainerSpec{Name: name, Image: rig.TinyImage, Labels: set})
	}
	good := start("eng-labels-good", map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgresql", "baktainer.db.name": "shop"})
	bad := start("eng-labels-bad", map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "oracle", "baktainer.db.all": "maybe",
		"baktainer.compress": "lz4", "baktainer.db.nmae": "typo", "baktainer.db.password": "Label-Secret-9",
	})
	conflicting := start("eng-labels-conflict", map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "sqlite", "baktainer.db.name": "relative.db", "baktainer.db.all": "true",
	})
	noEngine := start("eng-labels-noengine", map[string]string{"baktainer.backup": "true"})
	// #11.5, #11.6: values shaped like options, key=value settings or several
	// words are refused before any run (#13: a name too long for the store is
	// mapped to a shorter one, with a warning).
	shapes := start("eng-labels-shapes", map[string]string{
		"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.name": "host=evil.example dbname=shop",
		"baktainer.db.user": "-U", "baktainer.name": strings.Repeat("n", 150), "baktainer.volume": "my vol",
	})
	// An unknown label is a warning: the container is still a good target.
	typo := start("eng-labels-typo", map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres",
		"baktainer.db.name": "shop", "baktainer.retention.day": "7"})

	t.Run("named containers", func(t *testing.T) {
		out, _, code := engRun(t, nil, "labels", "check", good, bad, conflicting, noEngine, shapes)
		if code == 0 {
			t.Fatalf("labels check exited 0 with bad labels:\n%s", out)
		}
		for _, want := range []string{
			good + ": ok (engine postgres, database shop)",
			bad + ": 3 problem(s)",
			`label baktainer.db.engine="oracle": unknown engine`,
			`label baktainer.db.all="maybe": must be true or false`,
			`label baktainer.compress="lz4": must be zstd, gzip, none`,
			"  - warning: label baktainer.db.nmae: not a baktainer label (ignored); did you mean baktainer.db.name?",
			conflicting + ": 1 problem(s)",
			`label baktainer.db.name="relative.db": must be the database file's absolute path`,
			"  - warning: label baktainer.db.all: sqlite backs up the one database file baktainer.db.name names (ignored)", // #13
			noEngine + ": 1 problem(s)",
			"label baktainer.db.engine: is missing",
			shapes + ": 3 problem(s)",
			`label baktainer.db.name="host=evil.example dbname=shop": must not contain '='`,
			`label baktainer.db.user="-U": must not start with '-'`,
			// #13: a name too long for the store is mapped to a shorter one, not refused.
			"  - warning: label baktainer.name: not usable as a directory name", "archives go under " + strings.Repeat("n", 119) + "-",
			`label baktainer.volume="my vol": may hold only letters, digits`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("labels check output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Label-Secret-9") {
			t.Error("labels check printed the password label's value")
		}
	})
	t.Run("every labelled container", func(t *testing.T) {
		out, _, code := engRun(t, nil, "labels", "check", "--label", rig.RunLabel+"="+run)
		if code == 0 {
			t.Fatalf("labels check exited 0 with bad labels:\n%s", out)
		}
		for _, c := range []string{good, bad, conflicting, noEngine, shapes, typo} {
			if !strings.Contains(out, c+": ") {
				t.Errorf("labels check without names skipped %s:\n%s", c, out)
			}
		}
	})
	t.Run("all good", func(t *testing.T) {
		if out, errOut, code := engRun(t, nil, "labels", "check", good); code != 0 {
			t.Fatalf("labels check of a well-labelled container exited %d:\n%s%s", code, out, errOut)
		}
		out, errOut, code := engRun(t, nil, "labels", "check", typo)
		want := typo + ": ok (engine postgres, database shop)\n  - warning: label baktainer.retention.day: not a baktainer label (ignored); did you mean baktainer.retention.days?\n"
		if code != 0 || out != want {
			t.Fatalf("labels check of a container with a typo: exit %d, want 0 and\n%s\ngot:\n%s%s", code, want, out, errOut)
		}
	})
	t.Run("backup refuses", func(t *testing.T) {
		dir := t.TempDir()
		_, errOut, code := engRun(t, []string{"BT_BACKUP_DIR=" + dir}, "backup", bad)
		if code == 0 {
			t.Fatal("backup of a container with bad labels succeeded")
		}
		for _, want := range []string{"container " + bad, `label baktainer.db.engine="oracle": unknown engine`, `label baktainer.db.all="maybe"`} {
			if !strings.Contains(errOut, want) {
				t.Errorf("backup error lacks %q:\n%s", want, errOut)
			}
		}
		if strings.Contains(errOut, "Label-Secret-9") {
			t.Error("the backup error printed the password label's value")
		}
		if files := rig.ListFiles(t, dir); len(files) != 0 {
			t.Errorf("a refused backup left files: %v", files)
		}
		_, errOut, code = engRun(t, []string{"BT_BACKUP_DIR=" + dir}, "backup", shapes)
		if code == 0 || !strings.Contains(errOut, `label baktainer.db.name="host=evil.example dbname=shop"`) {
			t.Errorf("backup of a container whose db.name is a conninfo: exit %d:\n%s", code, errOut)
		}
		if files := rig.ListFiles(t, dir); len(files) != 0 {
			t.Errorf("a refused backup left files: %v", files)
		}
	})
}

// TestLabelsExample: `baktainer labels example ENGINE` prints the engine's example
// (the engine suites start their source containers from that very text), and
// refuses an unknown engine.
func TestLabelsExample(t *testing.T) {
	t.Parallel()
	for _, name := range engines.Default().Names() {
		eng, _ := engines.Default().Lookup(name)
		want, err := eng.Example().Compose()
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := engRun(t, nil, "labels", "example", name)
		if code != 0 || out != string(want) {
			t.Errorf("labels example %s: exit %d, stderr %q, output:\n%s\nwant:\n%s", name, code, errOut, out, want)
		}
	}
	_, errOut, code := engRun(t, nil, "labels", "example", "oracle")
	if code == 0 || !strings.Contains(errOut, `label baktainer.db.engine="oracle": unknown engine`) {
		t.Errorf("labels example oracle: exit %d, stderr %q", code, errOut)
	}
}
