package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/agent/fakedocker"
	"github.com/baktainer/baktainer/config"
)

func quietAgent(t *testing.T, env ...string) (*agent.Agent, config.Config) {
	t.Helper()
	cfg, err := config.LoadEnviron(append([]string{"BT_BACKUP_DIR=" + t.TempDir()}, env...))
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetLevel(logrus.PanicLevel)
	a, err := agent.New(cfg, agent.Deps{Docker: fakedocker.New(), Log: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	return a, cfg
}

// #10.7: /health lists the BT_* variables baktainer ignores, so a typo that
// would quietly turn encryption off is seen where monitoring looks.
func TestHealthListsIgnoredSettings(t *testing.T) {
	a, cfg := quietAgent(t, "BT_ENCRYPTION_RECIPIENT=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
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

// An agent runs with its HTTP server unless BT_HEALTH_SERVER_ENABLED=false;
// both stop when the context ends.
func TestAgentTasks(t *testing.T) {
	for _, tc := range []struct {
		enabled string
		tasks   []string
	}{
		{"true", []string{"agent", "HTTP server"}},
		{"false", []string{"agent"}},
	} {
		a, cfg := quietAgent(t, "BT_HEALTH_SERVER_ENABLED="+tc.enabled, "BT_HEALTH_PORT=0")
		tasks, srv, err := agentTasks(a, cfg, logrus.NewEntry(logrus.New()))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, task := range tasks {
			names = append(names, task.name)
		}
		if strings.Join(names, ",") != strings.Join(tc.tasks, ",") || (srv != nil) != (tc.enabled == "true") {
			t.Errorf("BT_HEALTH_SERVER_ENABLED=%s: tasks %v, server %v", tc.enabled, names, srv != nil)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runTasks(ctx, tasks) }()
		<-a.Ready()
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("BT_HEALTH_SERVER_ENABLED=%s: %v", tc.enabled, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("BT_HEALTH_SERVER_ENABLED=%s: the tasks did not stop", tc.enabled)
		}
	}
}
