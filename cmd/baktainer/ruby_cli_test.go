package main

import (
	"net"
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

// #13: every command that talks to Docker dials the endpoint the settings name
// (here BT_DOCKER_URL, to a port nothing listens on), and a Docker setting that
// cannot work stops it with the variable named.
func TestCommandsDialTheConfiguredEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, args := range [][]string{{"labels", "check", "db"}, {"plan"}, {"backup", "db", "--dir", t.TempDir()}} {
		_, errOut, code := runCLI(t, map[string]string{"BT_DOCKER_URL": "tcp://" + addr}, args...)
		if code == 0 || !strings.Contains(errOut, addr) {
			t.Errorf("%v with BT_DOCKER_URL=tcp://%s: exit %d, stderr:\n%s", args, addr, code, errOut)
		}
		_, errOut, code = runCLI(t, map[string]string{"BT_DOCKER_URL": "", "BT_SSL": "true"}, args...)
		if code == 0 || !strings.Contains(errOut, "BT_SSL: is true, but the Docker API is a unix socket") {
			t.Errorf("%v with BT_SSL=true on the socket: exit %d, stderr:\n%s", args, code, errOut)
		}
	}
}
