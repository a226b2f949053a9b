// Command baktainer backs up the databases running in Docker containers. One binary,
// many subcommands; this package only parses flags and wires the packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/version"
)

// command is one subcommand. run gets the arguments after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, env *runEnv, args []string) error
}

// runEnv is what every command may use: standard streams and a logger.
type runEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *logrus.Entry
}

var commands = map[string]command{
	"plugin":  {"serve the backup volume driver (the managed plugin's entrypoint)", runPlugin},
	"agent":   {"run the agent: discover, schedule and back up labelled containers [--backup-dir DIR]", runAgent},
	"backup":  {"back up one container now: backup CONTAINER [--via URL]", runBackup},
	"config":  {"print the effective configuration, secrets masked: config check", runConfig},
	"plan":    {"show what the agent would back up, when and where, without running anything", runPlan},
	"restore": {"restore an archive into a container: restore ARCHIVE --container NAME", runRestore},
	"labels":  {"check labels or show an example: labels check [CONTAINER...] | labels example ENGINE", runLabels},
	"archive": {"pack stdin into an archive, or unpack one to stdout: archive pack|unpack ...", runArchive},
	"verify":  {"check archives' checksums (--deep: read them back too): verify PATH...", runVerify},
	"list":    {"list the archives under a directory: list [DIR] [--json]", runList},
	"prune":   {"apply the retention policy: prune [DIR] [--dry-run]", runPrune},
	"keygen":  {"write a new age identity file, print its public key: keygen --output FILE", runKeygen},
	"volume":  {"change a backup volume's options through the plugin: volume set NAME KEY=VALUE... [--via URL]", runVolume},
	"version": {"print the version", func(_ context.Context, env *runEnv, _ []string) error {
		_, err := fmt.Fprintln(env.stdout, version.Version)
		return err
	}},
}

// errUsage marks an error in how the command was called (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	logger := logrus.New()
	logger.SetOutput(stderr)
	if lvl, err := logrus.ParseLevel(os.Getenv("BT_LOG_LEVEL")); err == nil {
		logger.SetLevel(lvl)
	}
	env := &runEnv{stdin: stdin, stdout: stdout, stderr: stderr, log: logrus.NewEntry(logger)}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "baktainer: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		fmt.Fprintf(stderr, "baktainer %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "baktainer %s: backups of the databases in your Docker containers\n\ncommands:\n", version.Version)
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
}

// parseArgs parses flags wherever they appear among the positional arguments
// ("restore ARCHIVE --container db" as well as "restore --container db ARCHIVE"),
// and checks the number of positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if len(positional) < minPos || (maxPos >= 0 && len(positional) > maxPos) {
		return nil, fmt.Errorf("%w: expected %s", errUsage, describeCount(minPos, maxPos))
	}
	return positional, nil
}

func describeCount(minPos, maxPos int) string {
	switch {
	case minPos == maxPos:
		return fmt.Sprintf("%d argument(s)", minPos)
	case maxPos < 0:
		return fmt.Sprintf("at least %d argument(s)", minPos)
	}
	return fmt.Sprintf("%d to %d arguments", minPos, maxPos)
}

// envOr returns the environment variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// dirArg is the directory a command works on: its one positional argument, else
// BT_BACKUP_DIR, else the default.
func dirArg(pos []string) string {
	if len(pos) == 1 {
		return pos[0]
	}
	return envOr("BT_BACKUP_DIR", config.DefaultBackupDir)
}
