package plugin

import (
	"bufio"
	"strings"
	"testing"
)

func TestMountedIn(t *testing.T) {
	const mountinfo = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
97 22 8:1 /var/lib/baktainer/volumes/pg /mnt/volumes/pg rw,relatime shared:40 - ext4 /dev/vda rw
98 22 8:1 /var/lib/baktainer/volumes/a\040b /mnt/volumes/with\040space rw - ext4 /dev/vda rw
`
	for target, want := range map[string]bool{
		"/mnt/volumes/pg": true, "/mnt/volumes/with space": true,
		"/mnt/volumes": false, "/mnt/volumes/p": false, "/mnt/volumes/with\\040space": false,
	} {
		got, err := mountedIn(bufio.NewScanner(strings.NewReader(mountinfo)), target)
		if err != nil || got != want {
			t.Errorf("mountedIn(%q) = %v, %v; want %v", target, got, err, want)
		}
	}
}
