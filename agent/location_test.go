package agent

import "testing"

// Issue 17.9: an archive is named as a consumer of its volume sees it, and by
// its host path when the destination knows it.
func TestDestinationWhere(t *testing.T) {
	const archive = "/data/volumes/pg/shop/2026-01-02/shop-20260102T030000Z.sql.zst"
	for _, tc := range []struct {
		name           string
		dest           Destination
		path           string
		location, host string
	}{
		{"volume with host root", Destination{Root: "/data/volumes/pg", Volume: "pg", HostRoot: "/var/lib/baktainer/volumes/pg"}, archive,
			"pg:shop/2026-01-02/shop-20260102T030000Z.sql.zst", "/var/lib/baktainer/volumes/pg/shop/2026-01-02/shop-20260102T030000Z.sql.zst"},
		{"volume, host unknown", Destination{Root: "/data/volumes/pg", Volume: "pg"}, archive,
			"pg:shop/2026-01-02/shop-20260102T030000Z.sql.zst", ""},
		{"directory", Destination{Root: "/backups"}, "/backups/shop/x.sql.zst", "/backups/shop/x.sql.zst", ""},
		{"outside the root", Destination{Root: "/data/volumes/pg", Volume: "pg", HostRoot: "/h"}, "/elsewhere/x", "/elsewhere/x", ""},
	} {
		location, host := tc.dest.where(tc.path)
		if location != tc.location || host != tc.host {
			t.Errorf("%s: %q, %q; want %q, %q", tc.name, location, host, tc.location, tc.host)
		}
	}
}
