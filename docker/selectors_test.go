package docker

import "testing"

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"app": "shop", "tier": ""}
	for _, tc := range []struct {
		selectors []string
		want      bool
	}{
		{nil, true},
		{[]string{"app"}, true},
		{[]string{"app=shop"}, true},
		{[]string{"app=crm"}, false},
		{[]string{"tier="}, true},
		{[]string{"tier=x"}, false},
		{[]string{"app", "missing"}, false},
	} {
		if got := MatchLabels(labels, tc.selectors); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.selectors, got, tc.want)
		}
	}
}
