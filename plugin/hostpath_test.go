package plugin

import (
	"bufio"
	"strings"
	"testing"
)

// Issue 17.9: the data mount's source on the host comes from mountinfo (the
// last mount at the target wins); no mount there, no host path.
func TestMountRootIn(t *testing.T) {
	const info = `22 1 8:1 / / rw - ext4 /dev/vda rw
97 22 8:1 /var/lib/old /data rw - ext4 /dev/vda rw
98 22 8:1 /srv/back\040ups /data rw - ext4 /dev/vda rw
`
	for target, want := range map[string]string{"/data": "/srv/back ups", "/elsewhere": ""} {
		if got := mountRootIn(bufio.NewScanner(strings.NewReader(info)), target); got != want {
			t.Errorf("mount root at %s: %q, want %q", target, got, want)
		}
	}
	if got := hostPath(t.TempDir(), "/x"); got != "" {
		t.Errorf("a path outside the data mount has host path %q", got)
	}
}
