//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// Hooks against real containers: in the target (pre and post, their output in
// the history with the target's password redacted, the post hook told where the
// archive is), in another container that allows them, and a failing pre hook
// that stops the dump and runs the post.failure hook.
func TestControlHooks(t *testing.T) {
	dc := rig.Docker(t)
	run := rig.RunID()
	app, inTarget, inApp, failing := "ctl-app-"+run, "ctl-hooks-"+run, "ctl-hooks-app-"+run, "ctl-hooks-fail-"+run
	password := "Hook-Planted-" + run
	ctlStart(t, dc, app, rig.ContainerSpec{Image: rig.SQLiteImage, Labels: map[string]string{
		rig.RunLabel: run, "baktainer.hook.allow": inApp + "," + failing}})
	pg := func(name string, extra ...string) {
		l := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres", rig.RunLabel: run}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		ctlStartPostgres(t, dc, name, rig.ContainerSpec{Env: []string{"POSTGRES_PASSWORD=" + password, "POSTGRES_DB=app"}, Labels: l})
	}
	pg(inTarget,
		"baktainer.hook.pre", `["sh","-c","echo pre-stdout pw=$POSTGRES_PASSWORD; echo pre-stderr >&2; touch /tmp/pre-ran"]`,
		"baktainer.hook.post", `["sh","-c","env | grep ^BAKTAINER_ | sort > /tmp/post-env"]`)
	pg(inApp, "baktainer.hook.container", app,
		"baktainer.hook.pre", `["sh","-c","touch /tmp/maintenance-$BAKTAINER_NAME"]`,
		"baktainer.hook.post", `["sh","-c","rm /tmp/maintenance-$BAKTAINER_NAME && env | grep ^BAKTAINER_ | sort > /tmp/post-env-$BAKTAINER_NAME"]`)
	pg(failing, "baktainer.hook.container", app,
		"baktainer.hook.pre", `["sh","-c","echo cannot enter maintenance >&2; exit 3"]`,
		"baktainer.hook.post.failure", `["sh","-c","echo $BAKTAINER_STATUS > /tmp/failure-$BAKTAINER_NAME"]`)
	ta := startAgent(t, dc, run, map[string]string{"BT_BACKUP_RETRIES": "2"}, nil)

	t.Run("in the target", func(t *testing.T) {
		att := ctlRunNow(t, ta, inTarget, 2*time.Minute)
		if att.Outcome != agent.Succeeded || len(att.Hooks) != 2 {
			t.Fatalf("attempt: %+v", att)
		}
		pre, post := att.Hooks[0], att.Hooks[1]
		if pre.Hook != "pre" || pre.Container != inTarget || pre.Error != "" ||
			!strings.Contains(pre.Output, "pre-stdout pw=[REDACTED]") || !strings.Contains(pre.Output, "pre-stderr") {
			t.Errorf("pre hook: %+v", pre)
		}
		if strings.Contains(pre.Output, password) {
			t.Errorf("the hook's output shows the password: %q", pre.Output)
		}
		rig.Exec(t, dc, inTarget, nil, nil, "test", "-f", "/tmp/pre-ran")
		env := rig.Exec(t, dc, inTarget, nil, nil, "cat", "/tmp/post-env")
		rel := strings.TrimPrefix(att.Archive, ta.dir+"/")
		for _, want := range []string{"BAKTAINER_NAME=" + inTarget, "BAKTAINER_STATUS=succeeded", "BAKTAINER_HOOK=post", "BAKTAINER_ARCHIVE=" + rel} {
			if !strings.Contains(env, want+"\n") {
				t.Errorf("the post hook's environment lacks %s:\n%s", want, env)
			}
		}
		if _, err := os.Stat(filepath.Join(ta.dir, rel)); err != nil || post.Error != "" {
			t.Errorf("BAKTAINER_ARCHIVE=%s does not name the archive under the backup directory: %v; post hook %+v", rel, err, post)
		}
		if stored, ok := ta.History().Get(att.ID); !ok || len(stored.Hooks) != 2 || stored.Hooks[0].Output != pre.Output {
			t.Errorf("the history's record of the hooks: %+v", stored.Hooks)
		}
	})

	t.Run("in another container", func(t *testing.T) {
		att := ctlRunNow(t, ta, inApp, 2*time.Minute)
		if att.Outcome != agent.Succeeded || len(att.Hooks) != 2 || att.Hooks[0].Container != app || att.Hooks[1].Container != app {
			t.Fatalf("attempt: %+v", att)
		}
		env := rig.Exec(t, dc, app, nil, nil, "cat", "/tmp/post-env-"+inApp)
		if !strings.Contains(env, "BAKTAINER_CONTAINER="+inApp+"\n") || !strings.Contains(env, "BAKTAINER_STATUS=succeeded\n") {
			t.Errorf("the post hook's environment in %s:\n%s", app, env)
		}
		if _, err := rig.TryExec(dc, inApp, nil, nil, "test", "-e", "/tmp/maintenance-"+inApp); err == nil {
			t.Errorf("the hooks ran in the target, not in %s", app)
		}
	})

	t.Run("a failing pre hook", func(t *testing.T) {
		att := ctlRunNow(t, ta, failing, 2*time.Minute)
		if att.Outcome != agent.Failed || att.ErrorKind != agent.KindHook || att.Tries != 1 ||
			!strings.Contains(att.Error, "pre hook") || !strings.Contains(att.Error, "cannot enter maintenance") {
			t.Fatalf("attempt: %+v", att)
		}
		if len(att.Hooks) != 2 || att.Hooks[1].Hook != "post.failure" || att.Hooks[1].Error != "" {
			t.Errorf("hooks: %+v", att.Hooks)
		}
		if got := strings.TrimSpace(rig.Exec(t, dc, app, nil, nil, "cat", "/tmp/failure-"+failing)); got != "failed" {
			t.Errorf("the post.failure hook wrote %q", got)
		}
		if files := rig.ListFiles(t, filepath.Join(ta.dir, failing)); len(files) != 0 {
			t.Errorf("something was dumped after the pre hook failed: %v", files)
		}
	})
}
