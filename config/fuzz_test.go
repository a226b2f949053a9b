package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/parse"
)

// FuzzSettings: whatever the environment holds, Load never panics, and a value it
// accepts is used as written: `config check` shows it as it was read (numbers
// neither wrapped nor clamped; one pair of quotes around it taken off), and what
// it shows reads back the same. The input
// is "NAME=value" lines; a NAME "N" stands for the N-th setting.
func FuzzSettings(f *testing.F) {
	f.Add("BT_RETENTION_DAYS=213504\nBT_MIN_FREE_SPACE_GB=NaN\nBT_THREADS=8")
	f.Add("12=7\n17=0.1\n7=90\n9=1.5h\n28=yes\n33=65535")
	f.Add("BT_BACKUP_TIMEOUT=9223372036854775807\nBT_RESYNC_INTERVAL=2562047h\nBT_CORN=@daily")
	f.Add("BT_ENCRYPTION_PASSPHRASE= \nBT_API_TOKEN=0123456789abcdef\nTZ=Asia/Tokyo")
	f.Add("BT_THREADS=\"4\"\nBT_RETENTION_DAYS='7'\nBT_COMPRESS=false\nBT_DOCKER_URL=\"tcp://h:1\"")
	f.Fuzz(func(t *testing.T, input string) {
		env := settingsInput(input)
		c, err := Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
		refused := map[string]bool{}
		for _, e := range flatten(err) {
			var ce *Error
			if !errors.As(e, &ce) {
				t.Fatalf("an error that names no variable: %v", e)
			}
			refused[ce.Var] = true
		}
		for _, v := range vars {
			if refused[v.Name] || c.Source(v.Name) != "env" || v.Secret || v.parse == nil {
				continue
			}
			raw, _ := parse.Unquote(env[v.Name]) // one pair of quotes is taken off, with a notice
			checkShownAsRead(t, v, strings.TrimSpace(raw), v.show(c))
		}
	})
}

func settingsInput(input string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(input, "\n") {
		name, value, _ := strings.Cut(line, "=")
		if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(vars) {
			name = vars[i].Name
		}
		if strings.HasSuffix(name, "_FILE") { // files are read: keep the fuzzer off /dev and FIFOs
			continue
		}
		env[name] = value
	}
	return env
}

// checkShownAsRead: the shown value parses back to itself, and means what raw meant.
func checkShownAsRead(t *testing.T, v Var, raw, shown string) {
	t.Helper()
	var again Config
	again.sources = map[string]string{}
	if err := v.parse(&again, shown); err != nil {
		t.Fatalf("%s=%q accepted and shown as %q, which is refused: %v", v.Name, raw, shown, err)
	}
	if back := v.show(again); back != shown {
		t.Fatalf("%s=%q shown as %q, read back as %q", v.Name, raw, shown, back)
	}
	same := true
	switch v.kind {
	case kindCount, kindDays:
		a, _ := strconv.Atoi(raw)
		b, _ := strconv.Atoi(shown)
		same = a == b
	case kindBool:
		a, _ := parse.Bool(raw)
		b, _ := parse.Bool(shown)
		same = a == b
	case kindDuration:
		want, ok := exactDuration(raw)
		got, _ := time.ParseDuration(shown)
		same = ok && want == got
	case kindSize:
		gb, _ := strconv.ParseFloat(raw, 64)
		bytes, _ := parse.GiBytes(shown)
		same = math.Abs(float64(bytes)-gb*parse.GiB) <= 0.5
	}
	if !same {
		t.Fatalf("%s=%q accepted but shown (and used) as %q", v.Name, raw, shown)
	}
}

// exactDuration reads a duration as the setting means it, without the parser's
// code path: Go syntax, or whole seconds that must fit a time.Duration.
func exactDuration(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, true
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil || secs > math.MaxInt64/int64(time.Second) || secs < math.MinInt64/int64(time.Second) {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}
