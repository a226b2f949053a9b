package engines

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// #13: with baktainer.db.all=true, a baktainer.db.name (the Ruby schema required
// one) names the database pg_dumpall connects to first, in place of "postgres";
// without it pg_dumpall picks its own (postgres, else template1).
func TestPostgresAllConnectsToTheLabelledDatabase(t *testing.T) {
	for _, tc := range []struct {
		database string
		want     []string // pg_dumpall's options after --no-password
	}{
		{"app", []string{"--clean", "--if-exists", "--database=app"}},
		{"", []string{"--clean", "--if-exists"}},
	} {
		f := &fakeRuntime{reply: plantedReply}
		target := Target{Container: docker.Container{ID: "id", Name: "db"}, Spec: labels.Spec{All: true, Database: tc.database, PasswordFile: "/run/secrets/pw"}}
		if err := (Postgres{}).Dump(context.Background(), f, target, io.Discard); err != nil {
			t.Fatal(err)
		}
		last := f.calls[len(f.calls)-1].Cmd
		if last[0] != "pg_dumpall" || !slices.Equal(last[3:], tc.want) {
			t.Errorf("db.name %q: %q, want pg_dumpall ... %q", tc.database, last, tc.want)
		}
	}
}
