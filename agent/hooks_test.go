package agent

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// execLog records the commands run in containers and answers them: "dump" with
// a complete dump, a hook with script(container, argv, spec).
type execLog struct {
	mu    sync.Mutex
	calls []execCall
}

type execCall struct {
	container string
	cmd       []string
	env       []string
}

func (l *execLog) script(hook func(c docker.Container, spec docker.ExecSpec) error) fakedocker.ExecFunc {
	return func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		l.mu.Lock()
		l.calls = append(l.calls, execCall{container: c.Name, cmd: spec.Cmd, env: spec.Env})
		l.mu.Unlock()
		if spec.Cmd[0] == "dump" {
			return writes(goodDump, nil)(ctx, c, spec)
		}
		return hook(c, spec)
	}
}

// commands lists what ran, as "container: argv".
func (l *execLog) commands() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, c := range l.calls {
		out = append(out, c.container+": "+strings.Join(c.cmd, " "))
	}
	return out
}

func (l *execLog) envOf(argv0 string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.calls {
		if c.cmd[0] == argv0 {
			return c.env
		}
	}
	return nil
}

// hookSays writes to both streams, as a hook does.
func hookSays(out, errOut string, err error) func(docker.Container, docker.ExecSpec) error {
	return func(_ docker.Container, spec docker.ExecSpec) error {
		_, _ = io.WriteString(spec.Stdout, out)
		if spec.Stderr != nil {
			_, _ = io.WriteString(spec.Stderr, errOut)
		}
		return err
	}
}

// The pre hook runs in the target before the dump, the post hook after it,
// each as its argv with the backup's environment, and their output (both
// streams, the target's secrets redacted) is in the attempt's history.
func TestHooksRunAroundTheDump(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	var log execLog
	r.docker.OnExec(log.script(hookSays("flushed s3cret-Value\n", "to stderr\n", nil)))
	r.start("db", labels.HookPre, `["sh","-c","sync; echo pre"]`, labels.HookPost, `["notify","done"]`,
		labels.Password, "s3cret-Value")
	r.registered("db")
	att := r.runNow("db")
	if att.Outcome != Succeeded {
		t.Fatalf("attempt: %+v", att)
	}
	if got := strings.Join(log.commands(), " | "); got != "db: sh -c sync; echo pre | db: dump | db: notify done" {
		t.Errorf("commands: %s", got)
	}
	if len(att.Hooks) != 2 || att.Hooks[0].Hook != HookPre || att.Hooks[1].Hook != HookPost || att.Hooks[1].Error != "" {
		t.Fatalf("hooks recorded: %+v", att.Hooks)
	}
	if out := att.Hooks[0].Output; !strings.Contains(out, "flushed [REDACTED]") || !strings.Contains(out, "to stderr") {
		t.Errorf("pre hook output: %q", out)
	}
	env := strings.Join(log.envOf("notify"), " ")
	rel := strings.TrimPrefix(att.Archive, att.Destination+"/")
	for _, want := range []string{"BAKTAINER_NAME=db", "BAKTAINER_STATUS=succeeded", "BAKTAINER_HOOK=post", "BAKTAINER_ARCHIVE=" + rel} {
		if !strings.Contains(env, want) {
			t.Errorf("post hook env %q lacks %q", env, want)
		}
	}
	if stored, _ := r.agent.History().Get(att.ID); len(stored.Hooks) != 2 {
		t.Errorf("the history holds %d hooks", len(stored.Hooks))
	}
}

// A failing pre hook fails the attempt (kind hook, no retry) before anything is
// dumped, and the post.failure hook runs; a failing post hook is a warning.
func TestFailingHooks(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_BACKUP_RETRIES": "2"}, nil)
	var log execLog
	r.docker.OnExec(log.script(func(c docker.Container, spec docker.ExecSpec) error {
		if spec.Cmd[0] == "false" {
			return hookSays("", "maintenance mode refused", &docker.ExitError{Command: "false", Code: 1, Stderr: "maintenance mode refused"})(c, spec)
		}
		return nil
	}))
	r.start("db", labels.HookPre, `["false"]`, labels.HookPostFailure, `["alert"]`)
	r.registered("db")
	att := r.runNow("db")
	if att.Outcome != Failed || att.ErrorKind != KindHook || att.Tries != 1 || !strings.Contains(att.Error, "pre hook") {
		t.Fatalf("attempt: %+v", att)
	}
	if got := strings.Join(log.commands(), " | "); got != "db: false | db: alert" {
		t.Errorf("commands: %s (nothing may be dumped)", got)
	}
	if env := strings.Join(log.envOf("alert"), " "); !strings.Contains(env, "BAKTAINER_STATUS=failed") || !strings.Contains(env, "BAKTAINER_ERROR=") {
		t.Errorf("post.failure env: %s", env)
	}

	r.start("other", labels.HookPost, `["false"]`)
	r.registered("other")
	if att := r.runNow("other"); att.Outcome != Succeeded || att.Hooks[0].Error == "" {
		t.Errorf("a failing post hook: %+v", att)
	}
	r.waitFor("the post hook's warning", func() bool { return r.seen.warned("other", "post hook", "outcome stands") })
}

// baktainer.hook.container runs the hooks in another container only when that
// one allows it (baktainer.hook.allow naming the target) and carries the
// agent's selectors.
func TestHookContainerMustAllow(t *testing.T) {
	t.Parallel()
	r := startRig(t, map[string]string{"BT_SELECTOR": "team=a"}, nil)
	var log execLog
	r.docker.OnExec(log.script(hookSays("ok", "", nil)))
	r.docker.Start(docker.Container{Name: "app", Labels: map[string]string{"team": "a"}})
	r.docker.Start(docker.Container{Name: "web", Labels: map[string]string{"team": "a", labels.HookAllow: "other, db"}})
	r.docker.Start(docker.Container{Name: "foreign", Labels: map[string]string{labels.HookAllow: "db2"}})
	r.start("db", "team", "a", labels.HookPre, `["maintenance","on"]`, labels.HookContainer, "app")
	r.registered("db")
	if att := r.runNow("db"); att.Outcome != Failed || !strings.Contains(att.Error, "does not allow hooks of db: label it baktainer.hook.allow=db") {
		t.Fatalf("a container that does not allow it: %+v", att)
	}
	r.start("db2", "team", "a", labels.HookPre, `["maintenance","on"]`, labels.HookContainer, "foreign")
	r.registered("db2")
	if att := r.runNow("db2"); att.Outcome != Failed || !strings.Contains(att.Error, "lacks the agent's selectors") {
		t.Fatalf("a container outside the selectors: %+v", att)
	}
	r.start("db3", "team", "a", labels.HookPre, `["maintenance","on"]`, labels.HookContainer, "web")
	r.registered("db3")
	// web allows "other, db", not db3: relabel it to allow db3 too.
	c, _ := r.docker.Inspect(t.Context(), "web")
	c.Labels[labels.HookAllow] = "db3"
	r.docker.Put(c)
	if att := r.runNow("db3"); att.Outcome != Succeeded || att.Hooks[0].Container != "web" {
		t.Fatalf("an allowed hook container: %+v", att)
	}
	if !slices.Contains(log.commands(), "web: maintenance on") || slices.Contains(log.commands(), "app: maintenance on") {
		t.Errorf("commands: %v", log.commands())
	}
}

// A hook past baktainer.hook.timeout is abandoned: the pre hook fails the
// attempt, saying so.
func TestHookTimeout(t *testing.T) {
	t.Parallel()
	r := startRig(t, nil, nil)
	r.docker.OnExec(func(ctx context.Context, c docker.Container, spec docker.ExecSpec) error {
		<-ctx.Done()
		return ctx.Err()
	})
	r.start("db", labels.HookPre, `["sleep","600"]`, labels.HookTimeout, "1s")
	r.registered("db")
	if att := r.runNow("db"); att.Outcome != Failed || att.ErrorKind != KindHook || !strings.Contains(att.Error, "timed out after 1s") {
		t.Fatalf("attempt: %+v", att)
	}
}
