package labels_test

import (
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// #11.5: values that would reach a tool's argv as an option, a conninfo or more
// than one word are refused where a name is expected.
func TestParseRefusesArgumentShapes(t *testing.T) {
	for _, tc := range []struct {
		label, value string
		engine       string
	}{
		{labels.Database, "-Fc", "postgres"},
		{labels.Database, "host=evil.example dbname=shop", "postgres"},
		{labels.Database, "shop db", "mysql"},
		{labels.Database, "shop\x00", "postgres"},
		{labels.User, "--all-databases", "mysql"},
		{labels.User, "u=x", "postgres"},
		{labels.User, "a b", "postgres"},
		{labels.Volume, "-v", "postgres"},
		{labels.Volume, "vol=x", "postgres"},
		{labels.Volume, "my vol", "postgres"},
		{labels.Database, "relative.db", "sqlite"},
		{labels.Database, "/data/app\x00.db", "sqlite"},
	} {
		_, err := labels.Parse(map[string]string{labels.Backup: "true", labels.Engine: tc.engine, tc.label: tc.value})
		if err == nil || !strings.Contains(err.Error(), "label "+tc.label) {
			t.Errorf("%s=%q (%s): err = %v, want a problem naming the label", tc.label, tc.value, tc.engine, err)
		}
	}
	if _, err := labels.Parse(map[string]string{labels.Engine: "sqlite", labels.Database: "/data/my app.db"}); err != nil {
		t.Errorf("an absolute SQLite path with a space: %v", err)
	}
	// #13: a backup name is never refused but mapped (parse.MapBackupName) to one
	// that is neither an option nor a key=value.
	for _, name := range []string{"-shop", "shop=1"} {
		spec, err := labels.Parse(map[string]string{labels.Backup: "true", labels.Engine: "postgres", labels.Name: name})
		if err != nil || strings.HasPrefix(spec.Name, "-") || strings.Contains(spec.Name, "=") {
			t.Errorf("%s=%q: name %q, err %v", labels.Name, name, spec.Name, err)
		}
	}
}

// #11.6, #13: the backup name the labels give is one the store can use: the same
// rule, length included, for the longest file name the store derives from it (a
// longer baktainer.name is mapped to a shorter name, never refused).
func TestAcceptedNamesAreStoreUsable(t *testing.T) {
	for _, n := range []int{1, 64, 128, 129, 177, 201, 250} {
		spec, err := labels.Parse(map[string]string{labels.Name: strings.Repeat("n", n)})
		if err != nil {
			t.Fatalf("a %d-character baktainer.name refused: %v", n, err)
		}
		if err := createLongest(t, spec.Name); err != nil {
			t.Errorf("a %d-character baktainer.name passes labels but the store refuses it: %v", n, err)
		}
	}
}

// createLongest writes (and commits) an archive of name with the longest
// extension chain the store builds: a 16-character dump extension, gzip, age.
func createLongest(t *testing.T, name string) error {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := store.RecipientEncryption("test", []string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Create(t.TempDir(), store.Meta{Name: name}, strings.Repeat("x", 16),
		store.Options{Compression: store.Gzip, Encryption: enc})
	if err != nil {
		return err
	}
	defer p.Abort()
	if _, err := p.Write([]byte("dump")); err != nil {
		return err
	}
	_, _, err = p.Commit()
	return err
}
