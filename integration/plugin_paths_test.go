//go:build integration

package integration

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPluginSaysWhereConsumersFindArchives is issue 17.9 with the real engine:
// a success notification and `baktainer backup --via` name the new archive as
// a consumer of the volume sees it (<volume>:<path in the volume>) and by its
// path on the host (the data mount's source), never by the plugin's internal
// /data/volumes/... path; and a container that mounts the volume finds the
// archive at that path.
func TestPluginSaysWhereConsumersFindArchives(t *testing.T) {
	rc := &receiver{bodies: map[string][]string{}, hang: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(rc.hang)
	w, dc := newLocalPlugin(t, "paths", "BT_WEBHOOK_URL="+srv.URL+"/webhook", "BT_NOTIFY_SUCCESS=true")
	vol := "paths-" + w.run
	w.docker("volume", "create", "-d", w.alias, vol)
	pg := labelledPostgres(t, w, dc, "paths-pg", vol)

	out, errOut, code := runBaktainer(t, nil, "backup", pg, "--via", w.url(""))
	if code != 0 {
		t.Fatalf("backup --via: exit %d\n%s%s", code, out, errOut)
	}
	archive := w.newArchive(vol, "after backup --via")
	rel, _ := filepath.Rel(filepath.Join(w.data, "volumes", vol), archive)
	consumer := vol + ":" + rel
	if got := strings.TrimSpace(out); got != consumer {
		t.Errorf("backup --via printed %q, want the consumer's view %q (stderr: %s)", got, consumer, errOut)
	}
	if !strings.Contains(errOut, archive) {
		t.Errorf("backup --via does not give the host path %s:\n%s", archive, errOut)
	}
	if found, err := w.sh([]string{vol + ":/backups:ro"}, "test -f /backups/"+rel+" && echo FOUND"); err != nil || !strings.Contains(found, "FOUND") {
		t.Errorf("a consumer does not find %s at /backups/%s: %v %s", consumer, rel, err, found)
	}

	type event struct {
		Event, Archive, Message string
		HostPath                string `json:"host_path"`
	}
	var got event
	w.waitFor(30*time.Second, func() string { return "no success notification: " + strings.Join(rc.got("/webhook"), "\n") }, func() bool {
		for _, body := range rc.got("/webhook") {
			if json.Unmarshal([]byte(body), &got) == nil && got.Event == "backup.succeeded" {
				return true
			}
		}
		return false
	})
	if got.Archive != consumer || got.HostPath != archive {
		t.Errorf("notification: archive %q, host_path %q; want %q and %q", got.Archive, got.HostPath, consumer, archive)
	}
	if !strings.Contains(got.Message, consumer) || !strings.Contains(got.Message, archive) || strings.Contains(got.Message, "/data/volumes") {
		t.Errorf("notification message %q: want %q and %q, never the plugin's /data/volumes", got.Message, consumer, archive)
	}
}
