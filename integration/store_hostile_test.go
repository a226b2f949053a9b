//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
)

// TestStoreContainerPlantedLinksAreRefused (issue #11.1, #11.2): a container that
// mounts a backup directory plants, through its mount, a link where today's date
// directory of a backup name goes (pointing at another "volume", by its path on the
// host), a name directory linked to another name's, and a FIFO named like a
// sidecar. baktainer must refuse to write through the links, saying which path it
// refused, write nothing where they point, and list, prune and verify without
// blocking, reporting what it refused.
func TestStoreContainerPlantedLinksAreRefused(t *testing.T) {
	dc := rig.Docker(t)
	root := t.TempDir()
	elsewhere := t.TempDir() // another volume, by its path on the host
	today := time.Now().UTC().Format("2006-01-02")
	for _, name := range []string{"shop", "cache"} { // earlier backups
		storeMustCLI(t, strings.NewReader("dump of "+name), nil, "archive", "pack", "--dir", root, "--name", name)
	}
	if err := os.RemoveAll(filepath.Join(root, "shop", today)); err != nil {
		t.Fatal(err)
	}
	before := storeSnapshot(t, elsewhere)

	c := rig.Start(t, dc, rig.ContainerSpec{Name: "planter", Image: rig.SQLiteImage, Binds: []string{root + ":/vol"},
		Cmd: []string{"sleep", "600"}})
	rig.Exec(t, dc, c, nil, nil, "ln", "-s", elsewhere, "/vol/shop/"+today)
	rig.Exec(t, dc, c, nil, nil, "ln", "-s", "cache", "/vol/orders")
	rig.Exec(t, dc, c, nil, nil, "sh", "-c", "mkfifo /vol/cache/"+today+"/cache-"+time.Now().UTC().Add(-time.Hour).Format("20060102T150405Z")+".dump.zst.json")

	for _, name := range []string{"shop", "orders"} {
		res := storeCLI(t, strings.NewReader("new dump"), nil, "archive", "pack", "--dir", root, "--name", name)
		refused := filepath.Join(root, name)
		if name == "shop" {
			refused = filepath.Join(root, "shop", today)
		}
		t.Logf("pack --name %s: exit %d: %s", name, res.code, strings.TrimSpace(res.stderr))
		if res.code != 1 || !strings.Contains(res.stderr, refused) || !strings.Contains(res.stderr, "symbolic link") {
			t.Errorf("pack --name %s through a planted link: exit %d, stderr %q; want a refusal naming %s", name, res.code, res.stderr, refused)
		}
	}
	storeSameFiles(t, elsewhere, before)
	if files := storeFilesUnder(t, filepath.Join(root, "cache")); len(files) != 3+1 { // its archive, two sidecars, the FIFO
		t.Errorf("the linked-to name's directory holds %v", files)
	}

	for _, args := range [][]string{{"list", root}, {"prune", root, "--count", "1"}, {"verify", root}} {
		res, took := storeCLITimed(t, 20*time.Second, nil, 0, args...)
		t.Logf("%v: exit %d after %s\n%s%s", args, res.code, took.Round(time.Millisecond), res.stdout, res.stderr)
		if took > 10*time.Second {
			t.Errorf("%v blocked", args)
		}
	}
	res := storeCLI(t, nil, nil, "list", root)
	if res.code != 1 || !strings.Contains(res.stderr, filepath.Join(root, "shop", today)) || !strings.Contains(res.stderr, filepath.Join(root, "orders")) {
		t.Errorf("list does not report the planted links: exit %d\n%s", res.code, res.stderr)
	}
}
