package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
)

// #10.7: /health lists the BT_* variables baktainer ignores, so a typo that
// would quietly turn encryption off is seen where monitoring looks.
func TestHealthListsIgnoredSettings(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.LoadEnviron([]string{"BT_BACKUP_DIR=" + dir, "BT_ENCRYPTION_RECIPIENT=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := docker.Dial("unix://" + filepath.Join(dir, "no-docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetLevel(logrus.PanicLevel)
	a, err := agent.New(cfg, agent.Deps{Docker: dc, Log: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	addSettingsCheck(a, cfg)
	h := a.Health(context.Background())
	reasons := strings.Join(h.Reasons, "\n")
	if !strings.Contains(reasons, "settings: BT_ENCRYPTION_RECIPIENT: not a baktainer setting (ignored); did you mean BT_ENCRYPTION_RECIPIENTS?") {
		t.Errorf("/health's reasons do not name the ignored setting:\n%s", reasons)
	}
	if strings.Contains(reasons, "ql3z7hjy54pw3hyww5") {
		t.Errorf("/health repeats the variable's value:\n%s", reasons)
	}
}
