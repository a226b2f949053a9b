package parse

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {" 7 ", 7, true}, {"+3", 3, true}, {"10", 10, true},
		{"11", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"", 0, false}, {"seven", 0, false},
		{"9223372036854775808", 0, false}, {"99999999999999999999", 0, false},
	} {
		got, err := Count(tc.in, 0, 10)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Count(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "YES": true, "1": true, " on ": true, "False": false, "no": false, "0": false, "OFF": false} {
		if got, err := Bool(in); err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "maybe", "2", "y", "enabled"} {
		if _, err := Bool(in); err == nil {
			t.Errorf("Bool(%q) accepted", in)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90", 90 * time.Second, true}, {"1h", time.Hour, true}, {"1.5h", 90 * time.Minute, true}, {" 30m ", 30 * time.Minute, true},
		{"0", 0, false}, {"-5s", 0, false}, {"25h", 0, false}, {"86401", 0, false},
		{"9223372036854775807", 0, false}, {"9223372036854775808", 0, false}, {"3000000h", 0, false}, {"soon", 0, false}, {"", 0, false},
	} {
		got, err := Duration(tc.in, time.Second, 24*time.Hour)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Duration(%q) = %s, %v; want %s, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDays(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"0", true}, {"7", true}, {"36500", true}, {"36501", false}, {"106752", false}, {"213504", false}, {"-1", false}, {"7d", false}} {
		n, err := Days(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Days(%q) = %d, %v; want ok=%v", tc.in, n, err, tc.ok)
		}
		if err == nil && DaysDuration(n) < 0 {
			t.Errorf("DaysDuration(%d) = %s", n, DaysDuration(n))
		}
	}
	if DaysDuration(213504) != MaxDays*Day || DaysDuration(-3) != 0 {
		t.Error("DaysDuration does not clamp")
	}
}

func TestGiBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"10", 10 << 30, true}, {"0.5", 1 << 29, true}, {"1048576", 1 << 50, true},
		{"NaN", 0, false}, {"nan", 0, false}, {"Inf", 0, false}, {"+Inf", 0, false}, {"-Inf", 0, false}, {"infinity", 0, false},
		{"-1", 0, false}, {"1e300", 0, false}, {"1048577", 0, false}, {"0x1p3", 0, false}, {"ten", 0, false}, {"", 0, false},
	} {
		got, err := GiBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("GiBytes(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, in := range []string{"0.1", "3.3333", "1e-9", "1048575.999999"} {
		n, err := GiBytes(in)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := GiBytes(FormatGiB(n)); err != nil || back != n {
			t.Errorf("%s: %d bytes shown as %s, read back as %d, %v", in, n, FormatGiB(n), back, err)
		}
		if f, _ := strconv.ParseFloat(in, 64); math.Abs(float64(n)-f*GiB) > 0.5 {
			t.Errorf("%s: %d bytes", in, n)
		}
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("a", MaxNameLength)
	for _, tc := range []struct {
		in             string
		backup, volume bool
	}{
		{"shop", true, true}, {"pg_data.2-x", true, true}, {"_x", true, false}, {long, true, true},
		{long + "a", false, false}, {"", false, false}, {".hidden", false, false}, {"-x", false, false},
		{"a/b", false, false}, {"a b", false, false}, {"x=y", false, false}, {"ä", false, false}, {"a\x00", false, false},
	} {
		if err := BackupName(tc.in); (err == nil) != tc.backup {
			t.Errorf("BackupName(%q) = %v, want ok=%v", tc.in, err, tc.backup)
		}
		if err := VolumeName(tc.in); (err == nil) != tc.volume {
			t.Errorf("VolumeName(%q) = %v, want ok=%v", tc.in, err, tc.volume)
		}
	}
}

func TestIdentifierAndPath(t *testing.T) {
	for in, ok := range map[string]bool{
		"shop": true, "my-db": true, "Bücher": true, "*": true, "app_1.x": true,
		"": false, "-Fc": false, "--all": false, "host=evil dbname=x": false, "a b": false, "a\tb": false, "a\x00": false,
		"a\nb": false, "\xff": false, strings.Repeat("x", 256): false,
	} {
		if err := Identifier(in); (err == nil) != ok {
			t.Errorf("Identifier(%q) = %v, want ok=%v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{
		"/data/app.db": true, "/data/my app.db": true, "/run/secrets/pw": true,
		"data/app.db": false, "": false, "-x": false, "/a\x00b": false, "/a\nb": false, "/" + strings.Repeat("x", 4096): false,
	} {
		if err := AbsolutePath(in); (err == nil) != ok {
			t.Errorf("AbsolutePath(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"BT_CRON", "BT_RETENTION_DAYS", "BT_ENCRYPTION_RECIPIENTS", "BT_ENCRYPTION_RECIPIENTS_FILE", "BT_THREADS"}
	for word, want := range map[string]string{
		"BT_CORN": "BT_CRON", "BT_RETENTION_DAY": "BT_RETENTION_DAYS", "BT_ENCRYPTION_RECIPIENT": "BT_ENCRYPTION_RECIPIENTS",
		"bt_threads": "BT_THREADS", "BT_THREAD": "BT_THREADS", "BT_NOPE_NOTHING_LIKE_IT": "", "BT_X": "",
	} {
		got, ok := Closest(word, known)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"cron", "corn", 2}, {"same", "same", 0}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

// #13: one pair of matching quotes around a value (compose's list syntax keeps
// them: `- BT_CRON="0 0 * * *"`) is taken off; nothing else is.
func TestUnquote(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		changed  bool
	}{
		{`"0 0 * * *"`, "0 0 * * *", true}, {`'x'`, "x", true}, {` "MyApp" `, "MyApp", true}, {`""`, "", true},
		{`"a"b"`, `a"b`, true}, {`""x""`, `"x"`, true},
		{"plain", "plain", false}, {`"half`, `"half`, false}, {`'mixed"`, `'mixed"`, false}, {`"`, `"`, false},
		{`it's`, `it's`, false}, {"", "", false}, {" spaced ", " spaced ", false},
	} {
		got, changed := Unquote(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("Unquote(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}

// #13: MapBackupName turns any value into a backup name the store can use, the
// same value always into the same name, and two different values never into
// one name (they would prune each other's archives).
func TestMapBackupName(t *testing.T) {
	for _, tc := range []struct {
		in, prefix string
		hashed     bool
	}{
		{"shop", "shop", false}, {`"MyApp"`, "MyApp", false}, {` 'x_1.2-3' `, "x_1.2-3", false},
		{"my app", "my_app", true}, {"my/app", "my_app", true}, {"../x", "_x", true}, {"Bücher", "B_cher", true},
		{"-x", "x", true}, {".hidden", "hidden", true}, {"日本", "_", true}, {"", "backup", true}, {`"--"`, "backup", true},
		{strings.Repeat("n", 200), strings.Repeat("n", MaxNameLength-9), true},
	} {
		got, changed := MapBackupName(tc.in)
		if err := BackupName(got); err != nil {
			t.Errorf("MapBackupName(%q) = %q, which the store cannot use: %v", tc.in, got, err)
		}
		want := tc.prefix
		if tc.hashed {
			want += "-"
		}
		if !strings.HasPrefix(got, want) || (!tc.hashed && got != tc.prefix) || (tc.hashed && len(got) != len(want)+8) {
			t.Errorf("MapBackupName(%q) = %q, want %q%s", tc.in, got, want, map[bool]string{true: "<8 hex digits>"}[tc.hashed])
		}
		if changed != (got != tc.in) {
			t.Errorf("MapBackupName(%q) = %q, changed = %v", tc.in, got, changed)
		}
		if again, _ := MapBackupName(tc.in); again != got {
			t.Errorf("MapBackupName(%q) is not deterministic: %q, then %q", tc.in, got, again)
		}
	}
	a, _ := MapBackupName("my app")
	b, _ := MapBackupName("my/app")
	if a == b {
		t.Errorf("two names mapped to one: %q", a)
	}
}
