//go:build integration

package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// TestOffsiteRefusalsArePermanentAndSecretFree: what the server refuses for
// good (a wrong secret, an unknown access key, a missing bucket) fails at once,
// without retries, with the server's reason and the copy's address, and no
// credential appears in an error, a log line or the settings' text.
func TestOffsiteRefusalsArePermanentAndSecretFree(t *testing.T) {
	s3 := rig.SharedS3(t)
	bucket := s3.Bucket(t)
	path := offsitePack(t, t.TempDir(), "secret", 31, 64<<10)
	wrongSecret := "wrong-" + s3.SecretKey[:12]
	wrongAccess := "AKWRONG" + s3.AccessKey[2:10]
	for _, tc := range []struct {
		name   string
		change func(*offsite.Settings)
		want   string
		hidden []string
	}{
		{"wrong secret", func(s *offsite.Settings) { s.SecretKey = wrongSecret }, "SignatureDoesNotMatch", []string{wrongSecret}},
		{"unknown access key", func(s *offsite.Settings) { s.AccessKey = wrongAccess }, "InvalidAccessKeyId", []string{wrongAccess}},
		{"missing bucket", func(s *offsite.Settings) { s.Bucket = "bt-no-such-bucket" }, "NoSuchBucket", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := s3.Settings(bucket, "p")
			tc.change(&settings)
			remote, log := offsiteRemote(t, settings, offsite.Options{})
			started := time.Now()
			res, err := remote.Upload(context.Background(), path)
			t.Logf("upload error: %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "s3://"+settings.Bucket+"/p/secret/") {
				t.Fatalf("upload: %v; want %s naming the copy", err, tc.want)
			}
			if res.Retries != 0 || time.Since(started) > 5*time.Second {
				t.Fatalf("a permanent refusal was retried %d times (%s)", res.Retries, time.Since(started))
			}
			_, listErr := remote.List(context.Background(), "")
			_, pruneErr := remote.Prune(context.Background(), "secret", store.Policy{MaxCount: 1}, time.Now(), offsite.PruneOptions{})
			if listErr == nil || pruneErr == nil {
				t.Fatalf("list (%v) or prune (%v) succeeded with bad settings", listErr, pruneErr)
			}
			text := strings.Join([]string{err.Error(), listErr.Error(), pruneErr.Error(), log.String(),
				settings.String(), fmt.Sprintf("%v %+v %#v", settings, settings, settings), remote.String()}, "\n")
			offsiteNoSecrets(t, "errors, log and settings", text, s3)
			for _, secret := range tc.hidden {
				if strings.Contains(text, secret) {
					t.Errorf("the wrong credential %q appears:\n%s", secret, text)
				}
			}
		})
	}
}
