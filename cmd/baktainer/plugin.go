package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/docker/go-connections/sockets"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/plugin"
	"github.com/baktainer/baktainer/version"
)

// pluginConfig is the plugin process's configuration. Paths are flags (config.json
// fixes them for the managed plugin); settings are BT_* variables, read once.
type pluginConfig struct {
	DataDir  string // --data: the data mount, where volumes and their state live
	MountDir string // --mounts: the propagated mount
	Socket   string // --socket: a name under /run/docker/plugins, or an absolute path
	// HealthAddr is BT_HEALTH_BIND:BT_HEALTH_PORT; the agent's configuration
	// takes these variables over when the agent runs in the plugin.
	HealthAddr string
}

// pluginSocketDir is where the engine looks for a managed plugin's socket (inside
// the plugin; the engine maps it to /run/docker/plugins/<plugin-id>/ on the host).
const pluginSocketDir = "/run/docker/plugins"

func loadPluginConfig(args []string) (pluginConfig, error) {
	fs := flag.NewFlagSet("plugin", flag.ContinueOnError)
	var c pluginConfig
	fs.StringVar(&c.DataDir, "data", "/data", "the data mount: volumes/ and state/ live here")
	fs.StringVar(&c.MountDir, "mounts", "/mnt/volumes", "the propagated mount volumes are bound under")
	fs.StringVar(&c.Socket, "socket", "baktainer", "plugin socket: a name under "+pluginSocketDir+" or an absolute path")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return c, err
	}
	if !filepath.IsAbs(c.Socket) {
		c.Socket = filepath.Join(pluginSocketDir, c.Socket+".sock")
	}
	bind := envOr("BT_HEALTH_BIND", "127.0.0.1")
	if net.ParseIP(bind) == nil && bind != "localhost" {
		return c, fmt.Errorf("BT_HEALTH_BIND=%q: not an IP address", bind)
	}
	port, err := strconv.Atoi(envOr("BT_HEALTH_PORT", "8080"))
	if err != nil || port < 0 || port > 65535 {
		return c, fmt.Errorf("BT_HEALTH_PORT=%q: not a port number", os.Getenv("BT_HEALTH_PORT"))
	}
	c.HealthAddr = net.JoinHostPort(bind, strconv.Itoa(port))
	return c, nil
}

// runPlugin is the managed plugin's process: the backup volume driver on the
// plugin socket, the health server, and (once it lands) the agent.
func runPlugin(ctx context.Context, env *runEnv, args []string) error {
	cfg, err := loadPluginConfig(args)
	if err != nil {
		return err
	}
	// The engine copies the plugin's stderr into its own log, one line per entry,
	// at level=error and with its own timestamp: ours would only repeat it.
	env.log.Logger.SetFormatter(&logrus.TextFormatter{DisableColors: true, DisableTimestamp: true})
	log := env.log.WithField("component", "plugin")

	vols, err := plugin.Open(ctx, plugin.Config{
		DataDir: cfg.DataDir, MountDir: cfg.MountDir, Log: log.WithField("component", "volumes"),
	})
	if err != nil {
		return err
	}
	driver := plugin.NewDriver(ctx, vols, log.WithField("component", "volume-driver"))
	log.WithFields(logrus.Fields{"version": version.Version, "socket": cfg.Socket, "data": cfg.DataDir,
		"health": cfg.HealthAddr}).Info("baktainer plugin starting")

	tasks := []task{
		{"volume driver", func(ctx context.Context) error { return serveDriver(ctx, driver, cfg.Socket) }},
		{"health server", func(ctx context.Context) error { return serveHealth(ctx, cfg.HealthAddr, vols) }},
		// ── AGENT: the agent starts here, alongside the driver. ──────────────────
		// Give it plugin.Destinations{Volumes: vols, Default: BT_DEFAULT_VOLUME}
		// as its destinations (baktainer.volume=NAME, else the default volume),
		// have it Hold a volume while writing to it, and let its HTTP server
		// (/health, /status, /metrics) replace the health server above, folding
		// vols.Check into its /health.
	}
	if err := runTasks(ctx, tasks); err != nil {
		return err
	}
	log.Info("baktainer plugin stopped")
	return nil
}

// serveDriver answers the engine's volume requests on the plugin socket until ctx ends.
func serveDriver(ctx context.Context, d *plugin.Driver, socket string) error {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return err
	}
	l, err := sockets.NewUnixSocket(socket, 0)
	if err != nil {
		return fmt.Errorf("plugin socket %s: %w", socket, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()
	err = d.Handler().Serve(l)
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("plugin socket %s: %w", socket, err)
}

// checker is what the health endpoint asks.
type checker interface {
	Check(ctx context.Context) error
}

// healthHandler answers /health: 200 when the volume driver can serve requests,
// 503 with the reason otherwise. Small on purpose: the agent's HTTP server
// takes over /health when the agent lands.
func healthHandler(c checker) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		body := map[string]string{"status": "ok", "volume_driver": "up", "version": version.Version}
		code := http.StatusOK
		if err := c.Check(ctx); err != nil {
			body["status"], body["volume_driver"], body["error"] = "unhealthy", "down", err.Error()
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	})
	return mux
}

// serveHealth serves healthHandler on addr until ctx ends.
func serveHealth(ctx context.Context, addr string, c checker) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("health server (BT_HEALTH_BIND, BT_HEALTH_PORT): %w", err)
	}
	srv := &http.Server{Handler: healthHandler(c), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	})
	defer stop()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("health server on %s: %w", addr, err)
	}
	return nil
}

// task is one long-running part of a process.
type task struct {
	name string
	run  func(ctx context.Context) error
}

// runTasks runs every task until ctx ends or one of them stops; then it stops the
// others and returns the first error, naming its task.
func runTasks(ctx context.Context, tasks []task) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := t.run(ctx)
			if err == nil && ctx.Err() == nil {
				err = errors.New("stopped unexpectedly")
			}
			if err != nil {
				once.Do(func() { first = fmt.Errorf("%s: %w", t.name, err) })
			}
			cancel()
		}()
	}
	wg.Wait()
	return first
}
