package config

import (
	"slices"
	"testing"
)

// Issue 17.8: BT_ARCHIVE_GROUP is the gid a shipper group reads archives with;
// unset or 0: none (archives 0600). A name, a negative or a huge number is an
// error naming the setting.
func TestArchiveGroupSetting(t *testing.T) {
	for _, tc := range []struct {
		value string // "" unset
		want  int
		bad   bool
	}{
		{value: "", want: 0},
		{value: "0", want: 0},
		{value: "1500", want: 1500},
		{value: "backup", bad: true},
		{value: "-1", bad: true},
		{value: "99999999999", bad: true},
	} {
		env := map[string]string{}
		if tc.value != "" {
			env["BT_ARCHIVE_GROUP"] = tc.value
		}
		cfg, err := Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
		if tc.bad {
			if vars := problemVars(err); !slices.Equal(vars, []string{"BT_ARCHIVE_GROUP"}) {
				t.Errorf("BT_ARCHIVE_GROUP=%s: problems %v, want BT_ARCHIVE_GROUP named", tc.value, vars)
			}
			continue
		}
		if err != nil || cfg.ArchiveGroup != tc.want {
			t.Errorf("BT_ARCHIVE_GROUP=%q: %d, %v; want %d", tc.value, cfg.ArchiveGroup, err, tc.want)
		}
	}
}
