package plugin

import (
	"testing"
)

// Volume options take the words and limits of the BT_* settings and the labels
// (package parse): on/off booleans, days capped where a duration cannot overflow.
func TestOptionsShareTheSettingsParsers(t *testing.T) {
	for _, tc := range []struct {
		raw map[string]string
		ok  bool
	}{
		{map[string]string{OptRemoveArchives: "on"}, true},
		{map[string]string{OptRemoveArchives: "OFF"}, true},
		{map[string]string{OptRetentionDays: "36500"}, true},
		{map[string]string{OptRetentionDays: "106752"}, false},
		{map[string]string{OptRetentionDays: "213504"}, false},
		{map[string]string{OptRetentionCount: "1000001"}, false},
		{map[string]string{OptRetentionWeekly: "99999999999999999999"}, false},
	} {
		if _, err := ParseOptions(tc.raw); (err == nil) != tc.ok {
			t.Errorf("%v: err = %v, want ok=%v", tc.raw, err, tc.ok)
		}
	}
}
