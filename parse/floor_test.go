package parse

import "testing"

// The free-space floor that stops a write (BT_FREE_SPACE_FLOOR and the volume
// option free-space-floor): auto, none, a size or a share of the file system,
// shown so that it parses back to the same floor.
func TestFreeSpaceFloor(t *testing.T) {
	const total = 100 * GiB
	for _, tc := range []struct {
		in   string
		want Floor
		of   uint64 // the floor on a 100 GiB file system
		show string
		bad  bool
	}{
		{in: "auto", want: AutoFloor, of: GiB, show: "auto"},
		{in: " Auto ", want: AutoFloor, of: GiB, show: "auto"},
		{in: "0", want: Floor{}, of: 0, show: "0"},
		{in: "2", want: Floor{Bytes: 2 * GiB}, of: 2 * GiB, show: "2"},
		{in: "0.5", want: Floor{Bytes: GiB / 2}, of: GiB / 2, show: "0.5"},
		{in: "5%", want: Floor{Percent: 5}, of: 5 * GiB, show: "5%"},
		{in: "0.5 %", want: Floor{Percent: 0.5}, of: GiB / 2, show: "0.5%"},
		{in: "50%", want: Floor{Percent: 50}, of: 50 * GiB, show: "50%"},
		{in: "51%", bad: true},
		{in: "0%", bad: true},
		{in: "-1%", bad: true},
		{in: "NaN%", bad: true},
		{in: "NaN", bad: true},
		{in: "-1", bad: true},
		{in: "lots", bad: true},
		{in: "", bad: true},
	} {
		got, err := FreeSpaceFloor(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("FreeSpaceFloor(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("FreeSpaceFloor(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if of := got.Of(total); of != tc.of {
			t.Errorf("FreeSpaceFloor(%q).Of(100 GiB) = %d, want %d", tc.in, of, tc.of)
		}
		if s := got.String(); s != tc.show {
			t.Errorf("FreeSpaceFloor(%q).String() = %q, want %q", tc.in, s, tc.show)
		}
		if back, err := FreeSpaceFloor(got.String()); err != nil || back != got {
			t.Errorf("FreeSpaceFloor(%q) shown as %q parses back to %+v, %v", tc.in, got.String(), back, err)
		}
	}
	// auto: the smaller of 1 GiB and 5% of the file system.
	if of := AutoFloor.Of(10 * GiB); of != GiB/2 {
		t.Errorf("auto on 10 GiB = %d, want 512 MiB", of)
	}
}
