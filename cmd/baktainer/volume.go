package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/baktainer/baktainer/plugin"
)

// runVolume changes a backup volume's options through the plugin's API:
//
//	volume set NAME KEY=VALUE... [--via URL]      (KEY= unsets KEY)
//
// `docker volume create -o` cannot: the engine never passes a create for an
// existing volume to the plugin (docs/PLUGIN.md, quirk 8).
func runVolume(ctx context.Context, env *runEnv, args []string) error {
	if len(args) == 0 || args[0] != "set" {
		return fmt.Errorf("%w: volume set NAME KEY=VALUE... [--via URL]", errUsage)
	}
	fs := flag.NewFlagSet("volume set", flag.ContinueOnError)
	via := fs.String("via", "http://127.0.0.1:8080", "the plugin's HTTP API (BT_HEALTH_BIND:BT_HEALTH_PORT); the token comes from BT_API_TOKEN")
	pos, err := parseArgs(fs, args[1:], 2, -1)
	if err != nil {
		return err
	}
	name, changes := pos[0], map[string]string{}
	for _, kv := range pos[1:] {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return fmt.Errorf("%w: %q: options are KEY=VALUE (KEY= unsets KEY)", errUsage, kv)
		}
		changes[key] = value
	}
	cfg, err := env.settings("BT_API_TOKEN")
	if err != nil {
		return err
	}
	body, _ := json.Marshal(changes)
	base := strings.TrimRight(*via, "/")
	var answer plugin.OptionsAnswer
	status, err := apiCall(ctx, cfg.Server.APIToken, http.MethodPatch, base+"/api/v1/volumes/"+url.PathEscape(name)+"/options", body, &answer)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("plugin at %s refused: %s", base, answer.Error)
	}
	if len(answer.Changed) == 0 {
		_, err = fmt.Fprintf(env.stdout, "volume %s: nothing changed\n", name)
		return err
	}
	for _, c := range answer.Changed {
		if _, err := fmt.Fprintf(env.stdout, "volume %s: %s\n", name, c); err != nil {
			return err
		}
	}
	return nil
}
