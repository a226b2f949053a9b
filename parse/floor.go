package parse

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Floor is a free-space floor: the least free space a write leaves on its file
// system (a dump that never ends must not fill a disk that other volumes and
// the host share). It is Bytes, or Percent of the file system's size; with both
// set, the smaller. The zero Floor is none.
type Floor struct {
	Bytes   uint64
	Percent float64
}

// MaxFloorPercent is the largest share of a file system a floor may keep free:
// beyond it a floor is a mistake that would stop every backup.
const MaxFloorPercent = 50

// AutoFloor is "auto", the default: the smaller of 1 GiB and 5% of the file
// system (a small disk is not half reserved, a large one keeps a whole GiB).
var AutoFloor = Floor{Bytes: GiB, Percent: 5}

var errFloor = errors.New("must be auto, 0 (none), a size in GiB (e.g. 2 or 0.5) or a share of the file system from above 0% to 50% (e.g. 5%)")

// FreeSpaceFloor parses a floor: "auto", "0" (none), a size in GiB as GiBytes
// reads it, or a percentage of the file system's size. Floor.String shows it so
// that it parses back to the same floor.
func FreeSpaceFloor(s string) (Floor, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "auto" {
		return AutoFloor, nil
	}
	if share, ok := strings.CutSuffix(t, "%"); ok {
		share = strings.TrimSpace(share)
		p, err := strconv.ParseFloat(share, 64)
		if err != nil || math.IsNaN(p) || p <= 0 || p > MaxFloorPercent || strings.ContainsAny(share, "xXpP_") {
			return Floor{}, errFloor
		}
		return Floor{Percent: p}, nil
	}
	b, err := GiBytes(t)
	if err != nil {
		return Floor{}, errFloor
	}
	return Floor{Bytes: b}, nil
}

// Of is the floor in bytes on a file system of total bytes.
func (f Floor) Of(total uint64) uint64 {
	share := uint64(float64(total) * f.Percent / 100)
	switch {
	case f.Percent == 0:
		return f.Bytes
	case f.Bytes == 0:
		return share
	}
	return min(f.Bytes, share)
}

// String shows f as FreeSpaceFloor reads it.
func (f Floor) String() string {
	switch {
	case f == AutoFloor:
		return "auto"
	case f.Percent != 0 && f.Bytes == 0:
		return strconv.FormatFloat(f.Percent, 'f', -1, 64) + "%"
	case f.Percent != 0: // both: not a form the parser makes; shown as its parts
		return FormatGiB(f.Bytes) + " or " + strconv.FormatFloat(f.Percent, 'f', -1, 64) + "%"
	}
	return FormatGiB(f.Bytes)
}
