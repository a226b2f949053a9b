package agent

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

func intp(n int) *int { return &n }

// Retention: the agent's, overridden by the destination's, overridden by the labels.
func TestDestinationPolicy(t *testing.T) {
	const day = 24 * time.Hour
	a := &Agent{cfg: config.Config{Retention: store.Policy{MaxAge: 7 * day, MaxCount: 10}}}
	for _, tt := range []struct {
		name   string
		volume labels.Retention
		label  labels.Retention
		want   store.Policy
	}{
		{"agent only", labels.Retention{}, labels.Retention{}, store.Policy{MaxAge: 7 * day, MaxCount: 10}},
		{"volume count", labels.Retention{Count: intp(2)}, labels.Retention{}, store.Policy{MaxAge: 7 * day, MaxCount: 2}},
		{"volume off", labels.Retention{Days: intp(0), Count: intp(0)}, labels.Retention{}, store.Policy{}},
		{"label wins", labels.Retention{Count: intp(2), Days: intp(30)}, labels.Retention{Count: intp(5)},
			store.Policy{MaxAge: 30 * day, MaxCount: 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := a.policy(Destination{Retention: tt.volume}, engines.Target{Spec: labels.Spec{Retention: tt.label}})
			if got != tt.want {
				t.Errorf("policy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Encryption: the destination's recipients replace BT_ENCRYPTION_*.
func TestDestinationOptions(t *testing.T) {
	global, volume := newRecipient(t), newRecipient(t)
	a := &Agent{cfg: config.Config{Compression: "gzip", Encryption: store.Encryption{
		Recipients: []age.Recipient{global}, Mode: "x25519", Fingerprints: []string{"global"}}}}
	if got := a.options(Destination{}); got.Compression != "gzip" || got.Encryption.Fingerprints[0] != "global" {
		t.Errorf("options without the destination's = %+v", got)
	}
	own := &store.Encryption{Recipients: []age.Recipient{volume}, Mode: "x25519", Fingerprints: []string{"volume"}}
	if got := a.options(Destination{Encryption: own}); got.Compression != "gzip" || got.Encryption.Fingerprints[0] != "volume" {
		t.Errorf("options with the destination's = %+v", got)
	}
}

func newRecipient(t *testing.T) age.Recipient {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient()
}

// heldDestinations is a destination that holds what it opens, and may fail
// carelessly (holding something all the same).
type heldDestinations struct {
	Directory
	released *int
	err      error
}

func (f heldDestinations) Open(_ context.Context, _ engines.Target) (Destination, error) {
	return Destination{Root: "/volumes/v", Release: func() { *f.released++ }}, f.err
}

// open releases what a failed Open held, and never returns a nil Release.
func TestOpen(t *testing.T) {
	released := 0
	a := &Agent{dests: heldDestinations{Directory: Directory{Dir: t.TempDir()}, released: &released}}
	d, err := a.open(context.Background(), engines.Target{})
	if err != nil || d.Root != "/volumes/v" {
		t.Fatalf("open = %+v, %v", d, err)
	}
	d.Release()
	a.dests = heldDestinations{released: &released, err: errors.New("no such volume")}
	if _, err := a.open(context.Background(), engines.Target{}); err == nil || released != 2 {
		t.Fatalf("open failing = %v, released %d times", err, released)
	}
	dir := filepath.Join(t.TempDir(), "backups") // created on first use
	a.dests = Directory{Dir: dir}
	d, err = a.open(context.Background(), engines.Target{})
	if err != nil || d.Root != dir || d.Release == nil || d.Encryption != nil {
		t.Fatalf("open of a Directory = %+v, %v", d, err)
	}
	d.Release()
}
