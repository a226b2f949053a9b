package labels_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// FuzzLabels: whatever a container's labels say, Parse never panics; what it
// accepts reads back the same from its canonical form; and what it keeps obeys
// the one rule of its kind, so an accepted backup name is one the store can write.
// The input is "key=value" lines; a key "N" stands for the N-th known label.
func FuzzLabels(f *testing.F) {
	f.Add("0=true\n4=postgres\n3=shop\n16=app\n10=shop-db\n11=30 2 * * *\n13=7\n12=3")
	f.Add("baktainer.backup=yes\nbaktainer.db.engine=sqlite\nbaktainer.db.name=/data/my app.db\nbaktainer.compress=gzip")
	f.Add("baktainer.db.name=-Fc\nbaktainer.db.user=host=evil\nbaktainer.name=" + strings.Repeat("n", 200))
	f.Add("baktainer.retention.days=213504\nbaktainer.volume=my vol\nbaktainer.db.nmae=x\nbaktainer.db.all=on")
	f.Add("baktainer.db.password=\"'x'\"\nbaktainer.name=\"My App\"\nbaktainer.db.name=*\nbaktainer.backup.retention.days='3'")
	f.Add("baktainer.hook.pre=[\"sh\",\"-c\",\"echo hi\"]\nbaktainer.hook.timeout=90s\nbaktainer.db.options=[\"--no-owner\"]\n" +
		"baktainer.db.include=app*,shop\nbaktainer.db.split=true\nbaktainer.schedule=@every 5s=fast; 0 3 * * *\n" +
		"baktainer.schedule.once=2030-01-02T03:04+02:00=once\nbaktainer.stop_during_backup=web")
	f.Fuzz(func(t *testing.T, input string) {
		in := labelMap(input)
		spec, err := labels.Parse(in)
		checkKept(t, spec)
		if err != nil {
			return
		}
		again, err := labels.Parse(spec.Labels())
		if err != nil {
			t.Fatalf("Parse(%q) accepted %+v, whose canonical labels are refused: %v", in, spec, err)
		}
		spec.Warnings, again.Warnings = nil, nil
		if !reflect.DeepEqual(spec, again) {
			t.Fatalf("Parse(%q) = %+v, read back as %+v", in, spec, again)
		}
		if spec.Name != "" {
			p, err := store.Create(t.TempDir(), store.Meta{Name: spec.Name}, "sql", store.Options{Compression: store.None})
			if err != nil {
				t.Fatalf("baktainer.name %q accepted, refused by the store: %v", spec.Name, err)
			}
			p.Abort()
		}
	})
}

func labelMap(input string) map[string]string {
	known := labels.Known()
	out := map[string]string{}
	for _, line := range strings.Split(input, "\n") {
		key, value, _ := strings.Cut(line, "=")
		for i, k := range known {
			if key == strconv.Itoa(i) {
				key = k
			}
		}
		out[key] = value
	}
	return out
}

// checkKept: a value Parse keeps, even next to errors, obeys its rule.
func checkKept(t *testing.T, s labels.Spec) {
	t.Helper()
	for _, c := range []struct {
		label, value string
		rule         func(string) error
	}{
		{labels.Name, s.Name, parse.BackupName},
		{labels.Volume, s.Volume, parse.VolumeName},
		{labels.User, s.User, parse.Identifier},
		{labels.PasswordFile, s.PasswordFile, parse.AbsolutePath},
	} {
		if c.value != "" {
			if err := c.rule(c.value); err != nil {
				t.Fatalf("%s=%q kept: %v", c.label, c.value, err)
			}
		}
	}
	if s.Database != "" && parse.Identifier(s.Database) != nil && (s.Engine != "sqlite" || parse.AbsolutePath(s.Database) != nil) {
		t.Fatalf("%s=%q kept for engine %q", labels.Database, s.Database, s.Engine)
	}
	if d := s.Retention.Days; d != nil && (*d < 0 || *d > parse.MaxDays) {
		t.Fatalf("%s=%d kept", labels.KeepDays, *d)
	}
}
