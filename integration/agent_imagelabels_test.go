//go:build integration

package integration

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// labelledImage commits a tiny container into an image whose LABELs ask for a
// backup, as a third-party image might, and removes it when the test ends.
func labelledImage(t *testing.T, dc *docker.Client) string {
	t.Helper()
	ctx := context.Background()
	src := rig.Start(t, dc, rig.ContainerSpec{Name: "imagelabels-src", Image: rig.TinyImage})
	ref := "baktainer-test/labelled:" + rig.RunID()
	_, err := dc.API().ContainerCommit(ctx, src, client.ContainerCommitOptions{Reference: ref,
		Changes: []string{"LABEL " + labels.Backup + "=true", "LABEL " + labels.Engine + "=" + standinEngineLabel}})
	if err != nil {
		t.Fatalf("commit an image with baktainer labels: %v", err)
	}
	t.Cleanup(func() { _, _ = dc.API().ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true}) })
	return ref
}

// An image that ships baktainer.* labels enrols every container made from it
// (Docker merges the image's labels into the container's). With
// BT_REQUIRE_CONTAINER_LABELS=true such labels are ignored, with a log line that
// says so; a container that sets its own labels is backed up as before.
func TestAgentRequireContainerLabels(t *testing.T) {
	dc := rig.Docker(t)
	image := labelledImage(t, dc)
	for _, tc := range []struct {
		setting   string
		imageOnly bool // is the image-labelled container a target?
	}{
		{"false", true},
		{"true", false},
	} {
		t.Run("BT_REQUIRE_CONTAINER_LABELS="+tc.setting, func(t *testing.T) {
			run := rig.RunID()
			reg, _ := standinRegistry()
			ta := startAgent(t, dc, run, map[string]string{"BT_CRON": "@daily", "BT_REQUIRE_CONTAINER_LABELS": tc.setting}, reg)
			fromImage := startFrom(t, dc, "imagelabels-img", image, map[string]string{rig.RunLabel: run})
			own := startTinies(t, dc, "imagelabels-own", 1, func(int) map[string]string { return standinLabels(run) })[0]
			waitUntil(t, 30*time.Second, func() string { return "own-labelled container not registered" }, func() bool {
				_, ok := ta.target(own)
				return ok
			})
			// The image-labelled one was started first, so it was seen first, too.
			if _, ok := ta.target(fromImage); ok != tc.imageOnly {
				t.Errorf("container %s, labelled by its image only: registered = %t, want %t", fromImage, ok, tc.imageOnly)
			}
			if logged := ta.logs.Contains("BT_REQUIRE_CONTAINER_LABELS") && ta.logs.Contains(fromImage); logged == tc.imageOnly {
				t.Errorf("the ignored image labels logged: %t, want %t:\n%s", logged, !tc.imageOnly, ta.logs.String())
			}
		})
	}
}

// startFrom starts a container of image with labels, removed when the test ends.
func startFrom(t *testing.T, dc *docker.Client, name, image string, set map[string]string) string {
	t.Helper()
	ctx := context.Background()
	full := name + "-" + rig.RunID()
	created, err := dc.API().ContainerCreate(ctx, client.ContainerCreateOptions{Name: full,
		Config: &container.Config{Image: image, Labels: set}, HostConfig: &container.HostConfig{NetworkMode: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rig.Remove(dc, full) })
	if _, err := dc.API().ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	return full
}
