package parse

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Count parses a whole number from lo to hi. Overflow and fractions are refused.
func Count(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// Bool parses the words baktainer accepts for yes and no, in any case: true, yes,
// 1, on; false, no, 0, off.
func Bool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, errors.New("must be true or false (also yes/no, 1/0, on/off)")
}

// Duration parses a Go duration ("90s", "30m", "2h") or a whole number of
// seconds, from lo to hi. time.Duration's own overflow is refused, never wrapped.
func Duration(s string, lo, hi time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("must be a duration from %s to %s (e.g. 90s, 30m, 2h) or a number of seconds", lo, hi)
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil || secs < int64(lo/time.Second) || secs > int64(hi/time.Second) {
			return 0, bad
		}
		d = time.Duration(secs) * time.Second
	}
	if d < lo || d > hi {
		return 0, bad
	}
	return d, nil
}

// MaxKeep is the most archives a retention rule may count (the settings, labels
// and volume options that keep N archives, days, weeks or months).
const MaxKeep = 1_000_000

// MaxDays is the longest age baktainer counts in days: 100 years. Beyond it a
// duration in nanoseconds would soon overflow (at 106,751 days).
const MaxDays = 36500

// Day is the unit of Days.
const Day = 24 * time.Hour

// Days parses a whole number of days from 0 to MaxDays; DaysDuration turns it
// into a duration without overflow.
func Days(s string) (int, error) {
	n, err := Count(s, 0, MaxDays)
	if err != nil {
		return 0, fmt.Errorf("must be a whole number of days from 0 to %d", MaxDays)
	}
	return n, nil
}

// DaysDuration is n days as a duration, n clamped to 0..MaxDays: callers pass
// what Days accepted, and a larger n never wraps into a short age.
func DaysDuration(n int) time.Duration {
	return time.Duration(min(max(n, 0), MaxDays)) * Day
}

// GiB is the unit of GiBytes: 2^30 bytes.
const GiB = 1 << 30

// MaxGiB is the largest size GiBytes accepts: 1 PiB.
const MaxGiB = 1 << 20

// GiBytes parses a size in GiB, a decimal such as 10 or 0.5, from 0 to MaxGiB,
// and returns it in whole bytes (rounded). NaN, infinities and negative sizes
// are refused. FormatGiB shows the result so that it parses back to the same bytes.
func GiBytes(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	gb, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(gb) || gb < 0 || gb > MaxGiB || strings.ContainsAny(s, "xXpP_") {
		return 0, fmt.Errorf("must be a number of GiB from 0 to %d (e.g. 10 or 0.5)", MaxGiB)
	}
	return uint64(math.Round(gb * GiB)), nil
}

// FormatGiB shows bytes in GiB, exactly: GiBytes(FormatGiB(n)) == n for every n
// GiBytes returns (bytes / 2^30 is exact in a float64 below 2^53).
func FormatGiB(bytes uint64) string {
	return strconv.FormatFloat(float64(bytes)/GiB, 'f', -1, 64)
}
