package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/baktainer/baktainer/agent"
)

// backupVia asks a running agent for a backup now and, with wait, follows the
// attempt until it ends; it prints the archive's path.
func backupVia(ctx context.Context, env *runEnv, base, container string, wait bool) error {
	base = strings.TrimRight(base, "/")
	cfg, err := env.settings("BT_API_TOKEN")
	if err != nil {
		return err
	}
	token := cfg.Server.APIToken
	body, _ := json.Marshal(agent.BackupRequest{Container: container})
	var att agent.Attempt
	status, err := apiCall(ctx, token, http.MethodPost, base+"/api/v1/backups", body, &att)
	if err != nil {
		return err
	}
	if status != http.StatusAccepted {
		return fmt.Errorf("agent at %s refused: %s", base, att.Error)
	}
	env.log.WithField("attempt", att.ID).Infof("backup of %s queued", att.Container)
	if !wait {
		_, err := fmt.Fprintln(env.stdout, att.ID)
		return err
	}
	for !att.Outcome.Final() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting for attempt %s: %w", att.ID, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
		if status, err = apiCall(ctx, token, http.MethodGet, base+"/api/v1/backups/"+att.ID, nil, &att); err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("agent at %s: attempt %s: %s", base, att.ID, att.Error)
		}
	}
	if att.Outcome != agent.Succeeded {
		return fmt.Errorf("backup of %s failed after %d tries [%s]: %s", att.Container, att.Tries, att.ErrorKind, att.Error)
	}
	// The archive as a container that mounts its volume sees it; the plugin's
	// own path means nothing outside it.
	where := att.Archive
	if att.Location != "" {
		where = att.Location
	}
	if att.HostPath != "" {
		env.log.WithField("attempt", att.ID).Infof("on the host: %s", att.HostPath)
	}
	_, err = fmt.Fprintln(env.stdout, where)
	return err
}

// apiCall sends one request with the API token (BT_API_TOKEN; none when empty) and
// decodes the JSON answer into out (an error body's "error" lands in out's Error field).
func apiCall(ctx context.Context, token, method, url string, body []byte, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("agent API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("agent API: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return resp.StatusCode, fmt.Errorf("agent API answered %s: %.200s", resp.Status, b)
	}
	return resp.StatusCode, nil
}
