package main

import (
	"strings"
	"testing"
)

// #13: the Ruby README's compose (`- BT_CRON="0 0 * * *"`, quotes kept) passes
// `config check`, which says how it read the value and lists the Ruby tool's
// variables with what each became.
func TestConfigCheckRubyCompose(t *testing.T) {
	out, errOut, code := runCLI(t, map[string]string{"BT_CRON": `"0 0 * * *"`, "BT_DOCKER_URL": "unix:///var/run/docker.sock",
		"BT_THREADS": "4", "BT_LOG_LEVEL": "info", "BT_COMPRESS": "false", "BT_ROTATION_ENABLED": "true"}, "config", "check")
	if code != 0 {
		t.Fatalf("config check of the Ruby README's compose: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"BT_CRON=0 0 * * *", "BT_DOCKER_URL=unix:///var/run/docker.sock", "BT_COMPRESSION=none",
		"note: BT_CRON: its value is in one pair of quotes", "note: BT_COMPRESS: ", "note: BT_ROTATION_ENABLED: "} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("config check lacks %q:\n%s%s", want, out, errOut)
		}
	}
}
