package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/volume"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
)

// Issue 11.4: a volume's free-space-floor option overrides BT_FREE_SPACE_FLOOR
// for the backups written onto it; a bad value is refused, naming the option.
func TestVolumeFreeSpaceFloorOption(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "small", Options: map[string]string{OptFreeSpaceFloor: "10%"}}, nil)
	r.ok("Create", volume.CreateRequest{Name: "plain"}, nil)
	d := Destinations{Volumes: r.vols, Default: "plain"}
	for _, tc := range []struct {
		vol  string
		want *parse.Floor
	}{
		{"small", &parse.Floor{Percent: 10}},
		{"plain", nil},
	} {
		dest, err := d.Open(context.Background(), engines.Target{Container: docker.Container{Name: "db"}, Spec: labels.Spec{Volume: tc.vol}})
		if err != nil {
			t.Fatal(err)
		}
		dest.Release()
		if (dest.FreeSpaceFloor == nil) != (tc.want == nil) || (tc.want != nil && *dest.FreeSpaceFloor != *tc.want) {
			t.Errorf("volume %s: floor %v, want %v", tc.vol, dest.FreeSpaceFloor, tc.want)
		}
	}
	if _, err := ParseOptions(map[string]string{OptFreeSpaceFloor: "90%"}); err == nil || !strings.Contains(err.Error(), OptFreeSpaceFloor) {
		t.Errorf("free-space-floor=90%%: %v; want it refused, naming the option", err)
	}
}
