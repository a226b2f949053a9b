package agent

import (
	"maps"
	"slices"
	"testing"
)

func TestWithoutImageLabels(t *testing.T) {
	image := map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "postgres",
		"baktainer.db.password_file": "/run/secrets/vendor", "org.opencontainers.image.title": "db"}
	for _, tc := range []struct {
		name              string
		container         map[string]string
		wantOwn, wantGone []string
	}{
		{"only the image's", maps.Clone(image), []string{"org.opencontainers.image.title"},
			[]string{"baktainer.backup", "baktainer.db.engine", "baktainer.db.password_file"}},
		{"the container overrides a value", map[string]string{"baktainer.backup": "true", "baktainer.db.engine": "mysql",
			"baktainer.db.password_file": "/run/secrets/mine"}, []string{"baktainer.db.engine", "baktainer.db.password_file"},
			[]string{"baktainer.backup"}},
		{"the container adds its own", map[string]string{"baktainer.backup": "true", "baktainer.name": "shop"},
			[]string{"baktainer.name"}, []string{"baktainer.backup"}},
		{"no image labels in play", map[string]string{"baktainer.backup": "false", "com.example": "x"},
			[]string{"baktainer.backup", "com.example"}, nil},
	} {
		own, gone := withoutImageLabels(tc.container, image)
		if got := slices.Sorted(maps.Keys(own)); !slices.Equal(got, tc.wantOwn) || !slices.Equal(gone, tc.wantGone) {
			t.Errorf("%s: own %v, ignored %v; want %v, %v", tc.name, got, gone, tc.wantOwn, tc.wantGone)
		}
	}
}
