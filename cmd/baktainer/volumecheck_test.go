package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// volumeDrivers is a volumeLookup over a map: volume name → driver.
type volumeDrivers map[string]string

func (v volumeDrivers) VolumeDriver(_ context.Context, name string) (string, error) {
	if name == "broken" {
		return "", errors.New("docker: inspect volume broken: plugin baktainer not found")
	}
	d, ok := v[name]
	if !ok {
		return "", fmt.Errorf("docker: inspect volume %s: %w", name, errdefs.ErrNotFound)
	}
	return d, nil
}

func TestCheckBackupVolume(t *testing.T) {
	vols := volumeDrivers{"pgdata": "baktainer:latest", "aliased": "registry.example/baktainer:1", "fallback": "local"}
	for _, tc := range []struct {
		volume string
		want   string // "" when fine
	}{
		{"", ""},
		{"pgdata", ""},
		{"aliased", ""},
		{"typo", `Docker has no volume "typo"`},
		{"fallback", `volume "fallback" belongs to Docker's local driver`},
		{"broken", "plugin baktainer not found"},
	} {
		err := checkBackupVolume(t.Context(), vols, tc.volume)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.volume, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "baktainer.volume")):
			t.Errorf("%q: %v; want an error naming the label and saying %q", tc.volume, err, tc.want)
		}
	}
}
