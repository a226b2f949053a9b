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
	"sync"
	"time"

	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-plugins-helpers/volume"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/plugin"
	"github.com/baktainer/baktainer/server"
	"github.com/baktainer/baktainer/version"
)

// pluginPaths are where the plugin process finds its mounts and socket: flags,
// which config.json fixes for the managed plugin. Settings are BT_* variables.
type pluginPaths struct {
	DataDir  string // --data: the data mount, where volumes and their state live
	MountDir string // --mounts: the propagated mount
	Socket   string // --socket: a name under /run/docker/plugins, or an absolute path
}

// pluginSocketDir is where the engine looks for a managed plugin's socket (inside
// the plugin; the engine maps it to /run/docker/plugins/<plugin-id>/ on the host).
const pluginSocketDir = "/run/docker/plugins"

func parsePluginPaths(args []string) (pluginPaths, error) {
	fs := flag.NewFlagSet("plugin", flag.ContinueOnError)
	var p pluginPaths
	fs.StringVar(&p.DataDir, "data", "/data", "the data mount: volumes/ and state/ live here")
	fs.StringVar(&p.MountDir, "mounts", "/mnt/volumes", "the propagated mount volumes are bound under")
	fs.StringVar(&p.Socket, "socket", "baktainer", "plugin socket: a name under "+pluginSocketDir+" or an absolute path")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return p, err
	}
	if !filepath.IsAbs(p.Socket) {
		p.Socket = filepath.Join(pluginSocketDir, p.Socket+".sock")
	}
	return p, nil
}

// runPlugin is the managed plugin's process: the backup volume driver on the
// plugin socket and the agent (discovery, schedules, backups onto the volumes,
// and its HTTP server with /health) in one process. When it cannot start (a bad
// setting, a data mount that is not its own) it does not exit: it refuses every
// use of a volume and answers its HTTP routes 503 with the reason, so the user
// sees why.
func runPlugin(ctx context.Context, env *runEnv, args []string) error {
	paths, err := parsePluginPaths(args)
	if err != nil {
		return err
	}
	// The engine copies the plugin's stderr into its own log, one line per entry,
	// at level=error and with its own timestamp: ours would only repeat it.
	env.log.Logger.SetFormatter(&logrus.TextFormatter{DisableColors: true, DisableTimestamp: true})
	log := env.log.WithField("component", "plugin")

	cfg, err := env.settings()
	if err == nil {
		env.log.Logger.SetLevel(cfg.LogLevel)
		err = plugin.CheckDataMount(paths.DataDir, paths.MountDir)
	}
	// BT_DOCKER_URL, else DOCKER_HOST, else /var/run/docker.sock, where
	// config.json mounts the docker-socket setting's source.
	var dc *docker.Client
	if err == nil {
		dc, err = docker.Open(cfg.Docker)
	}
	var tasks []task
	if err == nil {
		tasks, err = startPlugin(ctx, cfg, paths, dc, env.log)
	}
	if err != nil {
		return refuse(ctx, log, paths, cfg, err)
	}
	log.WithFields(logrus.Fields{"version": version.Version, "socket": paths.Socket, "data": paths.DataDir,
		"http": cfg.Server.Addr(), "default_volume": cfg.DefaultVolume, "docker": dc.Host()}).Info("baktainer plugin starting")
	err = runTasks(ctx, tasks)
	if err != nil && ctx.Err() == nil { // e.g. the HTTP server's port is taken
		return refuse(ctx, log, paths, config.Config{}, err)
	}
	log.Info("baktainer plugin stopped")
	return err
}

// startPlugin opens the volumes and builds the agent that backs up onto them,
// its HTTP server and the volume driver: the plugin's tasks.
func startPlugin(ctx context.Context, cfg config.Config, paths pluginPaths, dc *docker.Client, log *logrus.Entry) ([]task, error) {
	vols, err := plugin.Open(ctx, plugin.Config{
		DataDir: paths.DataDir, MountDir: paths.MountDir, Log: log.WithField("component", "volumes"),
	})
	if err != nil {
		return nil, err
	}
	a, err := agent.New(cfg, agent.Deps{
		Docker: dc,
		Destinations: plugin.Destinations{Volumes: vols, Default: cfg.DefaultVolume,
			Remotes: plugin.NewRemotes(cfg.S3, log.WithField("component", "offsite"))},
		Log:         log,
		MemoryLimit: agent.NewMemoryLimit(os.Getenv),
	})
	if err != nil {
		return nil, err
	}
	a.AddHealthCheck("volume_driver", vols.Check)
	addSettingsCheck(a, cfg)
	a.AddHealthCheck("volume_directories", vols.CheckDirectories)
	tasks, srv, err := agentTasks(a, cfg, log)
	if err != nil {
		return nil, err
	}
	if srv != nil {
		srv.Handle(plugin.OptionsRoute, vols.OptionsHandler())
	}
	driver := plugin.NewDriver(ctx, vols, log.WithField("component", "volume-driver"))
	return append([]task{{"volume driver", func(ctx context.Context) error {
		return serveDriver(ctx, driver.Handler(), paths.Socket)
	}}}, tasks...), nil
}

// refuse serves a plugin that cannot start until ctx ends: the volume driver
// refuses every use of a volume with reason (and keeps answering for the volumes
// it holds, see plugin.Refusing), and /health answers reason.
func refuse(ctx context.Context, log *logrus.Entry, paths pluginPaths, cfg config.Config, reason error) error {
	reason = fmt.Errorf("baktainer plugin cannot start: %w", reason)
	log.WithError(reason).Error("refusing every request until the plugin is fixed and enabled again")
	driver := plugin.NewRefusing(reason, plugin.Config{DataDir: paths.DataDir, MountDir: paths.MountDir,
		Log: log.WithField("component", "volume-driver")})
	tasks := []task{{"volume driver", func(ctx context.Context) error {
		return serveDriver(ctx, driver.Handler(), paths.Socket)
	}}}
	if addr := cfg.Server.Addr(); cfg.Server.Enabled && cfg.Server.Port != 0 {
		h := refusingHTTP(reason)
		tasks = append(tasks, task{"HTTP server", func(ctx context.Context) error { return serveRefusingHTTP(ctx, addr, h) }})
	}
	return runTasks(ctx, tasks)
}

// refusingHTTP answers /health in its own format and every other route (the API,
// /status, /metrics, the dashboard) 503 with the reason in the API's error form,
// so that `backup --via`, a browser or a Prometheus scrape says why.
func refusingHTTP(reason error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		server.ServeHealth(w, agent.NewHealth([]agent.CheckResult{{Check: "plugin", Detail: reason.Error()}}, time.Now()), true)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": reason.Error()})
	})
	return mux
}

// serveDriver answers the engine's volume requests on the plugin socket until ctx ends.
func serveDriver(ctx context.Context, h *volume.Handler, socket string) error {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return err
	}
	l, err := sockets.NewUnixSocket(socket, 0)
	if err != nil {
		return fmt.Errorf("plugin socket %s: %w", socket, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()
	err = h.Serve(l)
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("plugin socket %s: %w", socket, err)
}

// serveRefusingHTTP serves h on addr until ctx ends. Every answer is short: the
// timeouts cut off clients that send or read slowly.
func serveRefusingHTTP(ctx context.Context, addr string, h http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTP server (BT_HEALTH_BIND, BT_HEALTH_PORT): %w", err)
	}
	lim := server.DefaultHTTPLimits() // the agent's timeouts and connection limit
	l = lim.Listener(l)
	srv := lim.Server(h)
	stop := context.AfterFunc(ctx, func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	})
	defer stop()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server on %s: %w", addr, err)
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
