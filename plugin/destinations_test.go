package plugin

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/docker/go-plugins-helpers/volume"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

func TestDestinationsRouteByLabel(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "pg-backups"}, nil)
	d := Destinations{Volumes: r.vols, Default: "baktainer-backups"}
	ctx := context.Background()
	target := func(vol string) engines.Target {
		return engines.Target{Container: docker.Container{Name: "shop-db"}, Spec: labels.Spec{Volume: vol}}
	}

	root := func(t engines.Target) (string, error) {
		dest, err := d.Open(ctx, t)
		if err != nil {
			return "", err
		}
		dest.Release()
		return dest.Root, nil
	}
	got, err := root(target("pg-backups"))
	if err != nil || got != filepath.Join(r.data, "volumes", "pg-backups") {
		t.Fatalf("Open with baktainer.volume=pg-backups = %q, %v", got, err)
	}
	if got := d.Describe(target("")); got != "volume baktainer-backups (default)" {
		t.Errorf("Describe = %q", got)
	}
	if got := r.list(); slices.Contains(got, "baktainer-backups") {
		t.Fatal("Describe created the default volume")
	}
	got, err = root(target(""))
	if err != nil || got != filepath.Join(r.data, "volumes", "baktainer-backups") {
		t.Fatalf("Open without the label = %q, %v", got, err)
	}
	if got := r.list(); !slices.Equal(got, []string{"baktainer-backups", "pg-backups"}) {
		t.Fatalf("the default volume was not created on first use: %v", got)
	}
	roots, err := d.Roots(ctx)
	if err != nil || len(roots) != 2 {
		t.Fatalf("Roots = %v, %v", roots, err)
	}

	for _, vol := range []string{"pg-backup", "../x"} {
		_, err = root(target(vol))
		var le *labels.Error
		if !errors.As(err, &le) || le.Label != labels.Volume || !strings.Contains(err.Error(), "container shop-db: label baktainer.volume=") {
			t.Errorf("Open with baktainer.volume=%s = %v", vol, err)
		}
	}
	if got := r.list(); len(got) != 2 {
		t.Fatalf("a wrong label created a volume: %v", got)
	}
}

// Open gives a backup its volume's settings and holds the volume until Release.
func TestDestinationsOpenHoldsAndCarriesSettings(t *testing.T) {
	r := newRig(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r.ok("Create", volume.CreateRequest{Name: "enc", Options: map[string]string{
		"recipients": id.Recipient().String(), "retention.count": "2", "remove-archives": "true"}}, nil)
	d := Destinations{Volumes: r.vols, Default: "baktainer-backups"}
	ctx := context.Background()
	target := engines.Target{Container: docker.Container{Name: "shop-db"}, Spec: labels.Spec{Volume: "enc"}}

	dest, err := d.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if dest.Root != filepath.Join(r.data, "volumes", "enc") || dest.Retention.Count == nil || *dest.Retention.Count != 2 ||
		dest.Retention.Days != nil || dest.Encryption == nil || dest.Encryption.Mode != "x25519" || len(dest.Encryption.Recipients) != 1 {
		t.Fatalf("Open = %+v", dest)
	}
	r.fails("Remove", volume.RemoveRequest{Name: "enc"}, "a backup is being written to it")
	dest.Release()
	r.ok("Remove", volume.RemoveRequest{Name: "enc"}, nil)

	// The default volume has no settings of its own: the agent's apply.
	dest, err = d.Open(ctx, engines.Target{Container: docker.Container{Name: "other-db"}})
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Release()
	if dest.Encryption != nil || dest.Retention.Count != nil || dest.Root != filepath.Join(r.data, "volumes", "baktainer-backups") {
		t.Fatalf("Open of the default volume = %+v", dest)
	}
	r.fails("Remove", volume.RemoveRequest{Name: "baktainer-backups"}, "a backup is being written to it")

	_, err = d.Open(ctx, engines.Target{Container: docker.Container{Name: "shop-db"}, Spec: labels.Spec{Volume: "gone"}})
	var le *labels.Error
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "container shop-db: label baktainer.volume=") {
		t.Fatalf("Open with a label naming no volume = %v", err)
	}
}
