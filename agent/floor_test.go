package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/parse"
)

// floorDestination is a directory whose Open sets the destination's own
// free-space floor, as a backup volume's free-space-floor option does.
type floorDestination struct {
	Directory
	floor parse.Floor
}

func (f floorDestination) Open(ctx context.Context, t engines.Target) (Destination, error) {
	d, err := f.Directory.Open(ctx, t)
	d.FreeSpaceFloor = &f.floor
	return d, err
}

// Issue 11.4: the store's free-space floor (store.Options.MinFreeBytes) is
// BT_FREE_SPACE_FLOOR, measured against the destination's file system (auto,
// the default, lets a backup through on an ordinary disk), and a destination's
// own floor wins over it. A backup below the floor fails, naming the setting,
// and leaves nothing behind.
func TestBackupStopsAtTheFreeSpaceFloor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, setting string
		dest          *parse.Floor // the destination's own; nil: none
		wantFail      string       // what the error names; "" for a success
	}{
		{name: "default"},
		{name: "setting above the free space", setting: "1048576", wantFail: "BT_FREE_SPACE_FLOOR"},
		{name: "destination's own above the free space", dest: &parse.Floor{Bytes: 1 << 50}, wantFail: "free-space-floor option"},
		{name: "destination turns it off", setting: "1048576", dest: &parse.Floor{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if tc.setting != "" {
				env["BT_FREE_SPACE_FLOOR"] = tc.setting
			}
			var deps []Deps
			if tc.dest != nil {
				deps = append(deps, Deps{Destinations: floorDestination{Directory{Dir: t.TempDir()}, *tc.dest}})
			}
			r := runRig(t, env, nil, deps...)
			r.waitFor("the first resync", func() bool { ok, _ := r.agent.Connected(); return ok })
			r.docker.OnExec(writes(goodDump, nil))
			r.start("db")
			r.registered("db")
			att := r.runNow("db")
			if failed := att.Outcome == Failed; failed != (tc.wantFail != "") {
				t.Fatalf("backup: %s %s; want it to fail: %v", att.Outcome, att.Error, tc.wantFail != "")
			}
			if tc.wantFail != "" && (!strings.Contains(att.Error, "below the floor") || !strings.Contains(att.Error, tc.wantFail)) {
				t.Errorf("the error does not say the floor stopped it, naming %s: %s", tc.wantFail, att.Error)
			}
			if tc.wantFail != "" && (att.ErrorKind != KindStorage || att.Tries != 1) {
				t.Errorf("a write stopped at the floor is a %s error after %d tries; want %s, not retried", att.ErrorKind, att.Tries, KindStorage)
			}
		})
	}
}
