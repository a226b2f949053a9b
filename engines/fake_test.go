package engines

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/baktainer/baktainer/docker"
)

// fakeRuntime records the commands an engine runs and answers them from reply. It
// is for the logic around the tools (which command, which credentials where, in
// what order); the integration suite runs the real tools.
type fakeRuntime struct {
	reply    func(cmd []string, user string) (stdout string, err error)
	calls    []call
	restarts int
}

// call is one recorded exec.
type call struct {
	Cmd   []string
	Env   []string
	User  string
	Stdin string
	After int // restarts before it
}

func (f *fakeRuntime) Exec(_ context.Context, spec docker.ExecSpec) error {
	c := call{Cmd: spec.Cmd, Env: spec.Env, User: spec.User, After: f.restarts}
	if spec.Stdin != nil {
		in, err := io.ReadAll(spec.Stdin)
		c.Stdin = string(in)
		if err != nil {
			f.calls = append(f.calls, c)
			return fmt.Errorf("docker: %s: read input: %w", spec.Cmd[0], err)
		}
	}
	f.calls = append(f.calls, c)
	out, err := f.reply(spec.Cmd, spec.User)
	if spec.Stdout != nil {
		if _, werr := io.WriteString(spec.Stdout, out); werr != nil {
			return werr
		}
	}
	return err
}

func (f *fakeRuntime) Restart(context.Context, string) error {
	f.restarts++
	return nil
}

// find returns the first recorded call whose argv starts with prefix.
func (f *fakeRuntime) find(prefix ...string) (call, int, bool) {
	for i, c := range f.calls {
		if len(c.Cmd) >= len(prefix) && strings.Join(c.Cmd[:len(prefix)], "\x00") == strings.Join(prefix, "\x00") {
			return c, i, true
		}
	}
	return call{}, -1, false
}

// argvHolds reports whether any recorded argv contains s.
func (f *fakeRuntime) argvHolds(s string) bool {
	for _, c := range f.calls {
		for _, a := range c.Cmd {
			if strings.Contains(a, s) {
				return true
			}
		}
	}
	return false
}

var _ Runtime = (*fakeRuntime)(nil)
