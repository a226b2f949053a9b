package engines

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// separateValueOptions are the options whose tool takes the next word as their
// value whatever it looks like, and has no --option=value form.
var separateValueOptions = map[string]string{"redis-cli": "--user"}

// Label values shaped like options (or like connection strings) reach no tool as
// a word of their own before "--": every engine passes them as --option=value,
// after "--", or outside argv, even when the label parser let them through.
func TestLabelValuesNeverStandAloneInArgv(t *testing.T) {
	hostile := []string{"-evil-user", "--evil-db", "host=evil.example dbname=app"}
	for _, e := range []Engine{Postgres{}, MySQL{}, MariaDB{}, Redis{}, MongoDB{}} {
		for _, value := range hostile {
			t.Run(e.Name()+"/"+value, func(t *testing.T) {
				spec := labels.Spec{User: value, Database: value, PasswordFile: "/run/secrets/pw"}
				if _, ok := e.(Redis); ok {
					spec.Database = "" // redis has no database label
				}
				target := Target{Container: docker.Container{ID: "id", Name: "db",
					Env: map[string]string{"MONGO_INITDB_ROOT_USERNAME": "root"}}, Spec: spec}
				f := &fakeRuntime{reply: plantedReply}
				_ = e.Dump(context.Background(), f, target, io.Discard)
				if _, ok := e.(Postgres); !ok { // Postgres.Restore belongs to the store's single-transaction work
					_ = e.Restore(context.Background(), f, target, bytes.NewReader(sampleDump(t, e)))
				}
				if len(f.calls) < 2 {
					t.Fatalf("the engine ran no tool: %+v", f.calls)
				}
				for _, c := range f.calls {
					checkStandAlone(t, c.Cmd, value)
				}
			})
		}
	}
}

func checkStandAlone(t *testing.T, argv []string, value string) {
	t.Helper()
	for i := 1; i < len(argv); i++ {
		if argv[i] == "--" {
			return
		}
		if argv[i] == value && separateValueOptions[argv[0]] != argv[i-1] {
			t.Errorf("%q stands alone in %q", value, argv)
		}
	}
}
