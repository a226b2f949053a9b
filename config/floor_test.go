package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/parse"
)

// Issue 11.4: the free-space floor that stops a dump that never ends is a
// setting, auto (the smaller of 1 GiB and 5% of the file system) by default.
func TestFreeSpaceFloorSetting(t *testing.T) {
	for _, tc := range []struct {
		value string // "" unset
		want  parse.Floor
		bad   bool
	}{
		{value: "", want: parse.AutoFloor},
		{value: "0", want: parse.Floor{}},
		{value: "2", want: parse.Floor{Bytes: 2 * parse.GiB}},
		{value: "10%", want: parse.Floor{Percent: 10}},
		{value: "90%", bad: true},
		{value: "NaN", bad: true},
	} {
		env := map[string]string{}
		if tc.value != "" {
			env["BT_FREE_SPACE_FLOOR"] = tc.value
		}
		cfg, err := Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
		if tc.bad {
			if vars := problemVars(err); !slices.Equal(vars, []string{"BT_FREE_SPACE_FLOOR"}) {
				t.Errorf("BT_FREE_SPACE_FLOOR=%s: problems %v, want BT_FREE_SPACE_FLOOR named", tc.value, vars)
			}
			continue
		}
		if err != nil || cfg.FreeSpaceFloor != tc.want {
			t.Errorf("BT_FREE_SPACE_FLOOR=%q: %+v, %v; want %+v", tc.value, cfg.FreeSpaceFloor, err, tc.want)
		}
		if shown := cfg.Effective(); !slices.ContainsFunc(shown, func(s Setting) bool {
			return s.Name == "BT_FREE_SPACE_FLOOR" && strings.TrimSpace(s.Value) == tc.want.String()
		}) {
			t.Errorf("BT_FREE_SPACE_FLOOR=%q is not shown as %q by config check", tc.value, tc.want.String())
		}
	}
}
