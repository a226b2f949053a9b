package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Hooks are commands a target's labels name (baktainer.hook.pre, .post,
// .post.failure), run as an argv through docker exec, never a shell, in the
// target or in the container baktainer.hook.container names, which must allow
// it (baktainer.hook.allow). The pre hook runs once an attempt, before its first
// dump: when it fails the attempt fails and nothing is dumped. After the
// attempt, post runs when it succeeded, post.failure when it failed; either
// failing is a warning.

// The hooks, as HookRun.Hook names them.
const (
	HookPre         = "pre"
	HookPost        = "post"
	HookPostFailure = "post.failure"
)

// hookOutputHalf is how much of a hook's output (standard output and error,
// interleaved) the history keeps from its start, and as much from its end.
const hookOutputHalf = 2 << 10

// HookRun is one hook's run, recorded in its attempt.
type HookRun struct {
	Hook      string    `json:"hook"` // pre, post or post.failure
	Container string    `json:"container"`
	Command   []string  `json:"command"`
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"`
	Output    string    `json:"output,omitempty"` // its start and end, the target's secrets redacted
	Error     string    `json:"error,omitempty"`
}

// HookError is a pre hook that failed: the attempt fails without a dump, and
// is not retried (KindHook).
type HookError struct{ Err error }

func (e *HookError) Error() string { return e.Err.Error() }
func (e *HookError) Unwrap() error { return e.Err }

// preHook runs t's pre hook unless this attempt ran it already (a retry).
func (a *Agent) preHook(ctx context.Context, log *logrus.Entry, att *Attempt, t engines.Target) error {
	h := t.Spec.Hooks
	if h.Pre == nil || slices.ContainsFunc(att.Hooks, func(r HookRun) bool { return r.Hook == HookPre }) {
		return nil
	}
	run := a.runHook(ctx, log, att, t, HookPre, h.Pre)
	if run.Error != "" {
		return &HookError{fmt.Errorf("container %s: the pre hook (label %s) failed, so nothing was dumped: %s", t.Container.Name, labels.HookPre, run.Error)}
	}
	return nil
}

// postHooks runs, after the attempt, its post or post.failure hook, with the
// labels its last try read. A failed hook is a warning: the archives stand.
func (a *Agent) postHooks(ctx context.Context, log *logrus.Entry, att *Attempt) {
	t, ok := a.ctl.takeTarget(att.ID)
	if !ok {
		return // no try resolved the target: nothing to run the hooks of
	}
	which, argv := HookPost, t.Spec.Hooks.Post
	if att.Outcome != Succeeded {
		which, argv = HookPostFailure, t.Spec.Hooks.PostFailure
	}
	if argv == nil {
		return
	}
	// The agent may be stopping: the hook still runs, briefly at most.
	hctx := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(hctx, min(t.Spec.Hooks.TimeoutOrDefault(), cleanupTimeout))
		defer cancel()
	}
	if run := a.runHook(hctx, log, att, t, which, argv); run.Error != "" {
		msg := fmt.Sprintf("the %s hook (label %s) failed (the backup's outcome stands): %s", which, hookLabel(which), run.Error)
		a.log.WithFields(logrus.Fields{"container": t.Container.Name, "name": att.Name, "attempt": att.ID}).Warn(msg)
		a.obs.warning(Warning{Time: time.Now().UTC(), Name: att.Name, Container: t.Container.Name, Message: msg})
	}
}

// cleanupTimeout bounds what runs after an attempt the agent's stop cancelled:
// post hooks, and starting a stop group again.
const cleanupTimeout = 30 * time.Second

func hookLabel(which string) string {
	switch which {
	case HookPre:
		return labels.HookPre
	case HookPost:
		return labels.HookPost
	}
	return labels.HookPostFailure
}

// runHook runs one hook within the hook timeout, records it in att (and on
// the API at once) and returns the record.
func (a *Agent) runHook(ctx context.Context, log *logrus.Entry, att *Attempt, t engines.Target, which string, argv []string) HookRun {
	run := HookRun{Hook: which, Container: t.Container.Name, Command: redactAll(argv, t), Started: time.Now().UTC()}
	defer func() {
		run.Seconds = time.Since(run.Started).Seconds()
		att.Hooks = append(att.Hooks, run)
		a.update(*att)
	}()
	timeout := t.Spec.Hooks.TimeoutOrDefault()
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	where, err := a.hookContainer(hctx, t)
	if err != nil {
		run.Error = engines.Redact(err.Error(), engines.Secrets(t)...)
		return run
	}
	run.Container = where.Name
	out := &headTail{half: hookOutputHalf}
	err = a.dc.Exec(hctx, docker.ExecSpec{Container: where.ID, Cmd: argv, Env: hookEnv(att, t, which), Stdout: out, Stderr: out})
	secrets := append(engines.Secrets(t), engines.Secrets(engines.Target{Container: where})...)
	run.Output = engines.Redact(out.String(), secrets...)
	switch {
	case errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		run.Error = fmt.Sprintf("timed out after %s (label %s); the command may still run in container %s", timeout, labels.HookTimeout, where.Name)
	case err != nil:
		run.Error = engines.Redact(err.Error(), secrets...)
	}
	log.WithFields(logrus.Fields{"hook": which, "hook_container": where.Name, "seconds": time.Since(run.Started).Seconds(),
		"error": run.Error}).Info("hook ran")
	return run
}

// hookContainer is where t's hooks run: t's container, or the running
// container baktainer.hook.container names, when that one allows it by
// listing t's container in its baktainer.hook.allow label and matches the
// agent's selectors (BT_SELECTOR): a label must not be a way into a container
// whose owner did not agree.
func (a *Agent) hookContainer(ctx context.Context, t engines.Target) (docker.Container, error) {
	name := t.Spec.Hooks.Container
	if name == "" {
		return t.Container, nil
	}
	c, err := a.dc.Inspect(ctx, name)
	if err != nil {
		return docker.Container{}, fmt.Errorf("label %s=%s: %w", labels.HookContainer, name, err)
	}
	spec, _ := labels.Parse(c.Labels) // only its allow list counts here
	switch {
	case !slices.Contains(spec.HookAllow, t.Container.Name):
		return docker.Container{}, fmt.Errorf("label %s=%s: that container does not allow hooks of %s: label it %s=%s",
			labels.HookContainer, name, t.Container.Name, labels.HookAllow, t.Container.Name)
	case !docker.MatchLabels(c.Labels, a.cfg.Selectors):
		return docker.Container{}, fmt.Errorf("label %s=%s: that container lacks the agent's selectors %v", labels.HookContainer, name, a.cfg.Selectors)
	case !c.Running:
		return docker.Container{}, fmt.Errorf("label %s=%s: that container is not running", labels.HookContainer, name)
	}
	return c, nil
}

// hookEnv is what a hook learns of its backup.
func hookEnv(att *Attempt, t engines.Target, which string) []string {
	status := map[string]string{HookPre: "running", HookPost: "succeeded", HookPostFailure: "failed"}[which]
	env := []string{"BAKTAINER_NAME=" + att.Name, "BAKTAINER_CONTAINER=" + t.Container.Name, "BAKTAINER_HOOK=" + which,
		"BAKTAINER_STATUS=" + status, "BAKTAINER_ARCHIVE=" + strings.Join(consumerPaths(att), " ")}
	if which == HookPostFailure {
		env = append(env, "BAKTAINER_ERROR="+att.Error)
	}
	return env
}

// consumerPaths are the attempt's archives as those who mount its backup
// volume (or BT_BACKUP_DIR) see them: relative to its root.
func consumerPaths(att *Attempt) []string {
	var paths []string
	for _, p := range att.Parts {
		if rel, err := filepath.Rel(att.Destination, p.Archive); err == nil && p.Archive != "" {
			paths = append(paths, rel)
		}
	}
	return paths
}

// redactAll is argv without t's secrets.
func redactAll(argv []string, t engines.Target) []string {
	secrets := engines.Secrets(t)
	out := make([]string, len(argv))
	for i, w := range argv {
		out[i] = engines.Redact(w, secrets...)
	}
	return out
}

// headTail keeps the first and the last half bytes written to it.
type headTail struct {
	half    int
	head    []byte
	tail    []byte
	dropped int64
}

func (b *headTail) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.half - len(b.head); room > 0 {
		take := min(room, len(p))
		b.head = append(b.head, p[:take]...)
		p = p[take:]
	}
	b.tail = append(b.tail, p...)
	if over := len(b.tail) - b.half; over > 0 {
		b.dropped += int64(over)
		b.tail = append(b.tail[:0], b.tail[over:]...)
	}
	return n, nil
}

func (b *headTail) String() string {
	if b.dropped == 0 {
		return string(b.head) + string(b.tail)
	}
	return fmt.Sprintf("%s\n… (%d bytes left out) …\n%s", b.head, b.dropped, b.tail)
}
