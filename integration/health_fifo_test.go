//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/integration/rig"
)

// A FIFO named like an archive's metadata sidecar in a destination (anything that
// mounts the destination can plant one) blocks whoever opens it. The store opens
// only regular files, so the listing does not block and the planted archive is
// not counted; /health and /status answer, however often they are asked. (That
// /status does not wait on a listing that does block is the agent's unit test
// TestInventoryNeverWaitsOnABlockedListing.)
func TestHealthAndStatusAnswerPastAFIFO(t *testing.T) {
	dc := rig.Docker(t)
	ta := startAgent(t, dc, rig.RunID(), map[string]string{"BT_CRON": "@daily"}, nil)
	day := filepath.Join(ta.dir, "planted", "2024-01-01")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(day, "planted-20240101T000000Z.sql.zst") // named as baktainer names archives
	for _, f := range []string{archive, archive + ".sha256"} {
		if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fifo := archive + ".json"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// At the end, open the FIFO's other side so whatever still waits on it ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})

	client := &http.Client{Timeout: 30 * time.Second}
	for i, path := range []string{"/status", "/health", "/status", "/health", "/api/v1/targets"} {
		resp, err := client.Get(ta.url + path)
		if err != nil {
			t.Fatalf("GET %s (#%d) did not answer: %v", path, i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("GET %s: HTTP %d", path, resp.StatusCode)
		if path == "/status" {
			var st agent.Status
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatalf("/status: %v: %s", err, b)
			}
			// The store opens only regular files, so the listing finishes and
			// reports the planted FIFO instead of waiting on it; were it to block,
			// the inventory would say the listing has not finished.
			if len(st.Destinations) != 1 || !strings.Contains(st.Destinations[0].Error, "FIFO") && !strings.Contains(st.Destinations[0].Error, "listing") {
				t.Errorf("/status destinations %+v: want the FIFO (or the unfinished listing) said", st.Destinations)
			}
		}
	}
}
