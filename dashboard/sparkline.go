package dashboard

import (
	"fmt"
	"strings"
)

// Sparkline is a small inline SVG line chart of a series, oldest value first.
type Sparkline struct {
	Width, Height int
	Points        string  // the polyline's points, "x,y x,y ..."
	LastX, LastY  float64 // the newest point, marked with a dot
	N             int     // how many values
	Title         string  // what the chart shows, for a tooltip and screen readers
}

// Empty reports whether there is nothing to draw.
func (s Sparkline) Empty() bool { return s.N == 0 }

const (
	sparkWidth   = 120
	sparkHeight  = 28
	sparkPadding = 3
)

// newSparkline scales values into the chart: the smallest at the bottom, the
// largest at the top, a constant series in the middle.
func newSparkline(values []float64, title string) Sparkline {
	s := Sparkline{Width: sparkWidth, Height: sparkHeight, N: len(values), Title: title}
	if len(values) == 0 {
		return s
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	inner := float64(sparkHeight - 2*sparkPadding)
	step := 0.0
	if len(values) > 1 {
		step = float64(sparkWidth-2*sparkPadding) / float64(len(values)-1)
	}
	var b strings.Builder
	for i, v := range values {
		y := float64(sparkHeight) / 2
		if hi > lo {
			y = sparkPadding + inner*(1-(v-lo)/(hi-lo))
		}
		x := sparkPadding + step*float64(i)
		if len(values) == 1 {
			x = float64(sparkWidth) / 2
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, y)
		s.LastX, s.LastY = x, y
	}
	s.Points = b.String()
	return s
}
