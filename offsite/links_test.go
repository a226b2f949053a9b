package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/baktainer/baktainer/store"
)

// A directory below the destination's root that became a link after the
// commit (a consumer with write access swapped <name>/<date> for a link to a
// tree it forged, archive and sidecars consistent with each other) is never
// followed: the upload is refused, naming the link, and nothing is stored.
func TestUploadFollowsNoLinkBelowTheRoot(t *testing.T) {
	for _, swap := range []string{"date", "name"} {
		t.Run(swap, func(t *testing.T) {
			r, st := testRemote(t, "")
			root := t.TempDir()
			path := testArchiveIn(t, root, "shop", created, bigContent(1<<20))
			forged := testArchiveIn(t, t.TempDir(), "shop", created, []byte("forged by a consumer\n"))
			if filepath.Base(forged) != filepath.Base(path) {
				t.Fatalf("the forged archive is %s, not %s", forged, path)
			}
			real, link := filepath.Dir(path), filepath.Dir(forged)
			if swap == "name" {
				real, link = filepath.Dir(real), filepath.Dir(link)
			}
			if err := os.RemoveAll(real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(link, real); err != nil {
				t.Fatal(err)
			}
			_, err := r.Upload(context.Background(), path)
			if !errors.Is(err, store.ErrRefused) {
				t.Fatalf("upload through a link at %s: %v; want it refused", real, err)
			}
			if len(st.keys()) != 0 {
				t.Fatalf("stored through a link: %v", st.keys())
			}
		})
	}
}
