package plugin

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

	root, err := d.Root(ctx, target("pg-backups"))
	if err != nil || root != filepath.Join(r.data, "volumes", "pg-backups") {
		t.Fatalf("Root with baktainer.volume=pg-backups = %q, %v", root, err)
	}
	if got := d.Describe(target("")); got != "volume baktainer-backups (default)" {
		t.Errorf("Describe = %q", got)
	}
	if got := r.list(); slices.Contains(got, "baktainer-backups") {
		t.Fatal("Describe created the default volume")
	}
	root, err = d.Root(ctx, target(""))
	if err != nil || root != filepath.Join(r.data, "volumes", "baktainer-backups") {
		t.Fatalf("Root without the label = %q, %v", root, err)
	}
	if got := r.list(); !slices.Equal(got, []string{"baktainer-backups", "pg-backups"}) {
		t.Fatalf("the default volume was not created on first use: %v", got)
	}
	roots, err := d.Roots(ctx)
	if err != nil || len(roots) != 2 {
		t.Fatalf("Roots = %v, %v", roots, err)
	}

	for _, vol := range []string{"pg-backup", "../x"} {
		_, err = d.Root(ctx, target(vol))
		var le *labels.Error
		if !errors.As(err, &le) || le.Label != labels.Volume || !strings.Contains(err.Error(), "container shop-db: label baktainer.volume=") {
			t.Errorf("Root with baktainer.volume=%s = %v", vol, err)
		}
	}
	if got := r.list(); len(got) != 2 {
		t.Fatalf("a wrong label created a volume: %v", got)
	}
}
