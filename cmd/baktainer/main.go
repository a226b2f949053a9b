// Command baktainer backs up the databases running in Docker containers. One binary,
// many subcommands; this package only parses flags and wires the packages together.
// Settings are read only through package config.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/version"
)

// runEnv is what every command may use: standard streams, a logger, and the
// configuration read once from the environment.
type runEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *logrus.Entry
	cfg            config.Config
	cfgErr         error // config.FromEnv's problems, each naming its variable
	helpOnly       bool  // the command was asked only for its usage
}

// settings returns the configuration for a command that reads only the named
// variables: problems with other variables do not stop it. With no names, every
// problem does. A command asked only for --help is never stopped.
func (e *runEnv) settings(names ...string) (config.Config, error) {
	switch {
	case e.helpOnly || e.cfgErr == nil:
		return e.cfg, nil
	case len(names) == 0:
		return e.cfg, e.cfgErr
	}
	return e.cfg, config.ProblemsWith(e.cfgErr, names...)
}

// errUsage marks an error in how the command was called (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs one command line and returns its exit code: 0 when it did what was
// asked (help included), 2 for a usage error, 1 for any other failure.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	logger := logrus.New()
	logger.SetOutput(stderr)
	env := &runEnv{stdin: stdin, stdout: stdout, stderr: stderr, log: logrus.NewEntry(logger)}
	env.cfg, env.cfgErr = config.FromEnv()
	logger.SetLevel(env.cfg.LogLevel) // info when BT_LOG_LEVEL is bad: the command reports it
	name, args, help := helpRequested(args)
	if name == "" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok || cmd.run == nil {
		fmt.Fprintf(stderr, "baktainer: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	if help && (len(cmd.subcommands) > 0 && (len(args) == 0 || isHelpFlag(args[0]))) {
		commandHelp(stdout, name, nil)
		return 0
	}
	env.helpOnly = help
	if !help && name != "config" {
		for _, n := range env.cfg.Notices() {
			env.log.WithField("setting", n.Var).Info(n.String())
		}
		for _, w := range env.cfg.Warnings() {
			env.log.WithField("setting", w.Var).Warn(w.String())
		}
	}
	return exitCode(stdout, stderr, name, cmd.run(ctx, env, withHelpFlag(args, help)))
}

// exitCode prints what a command's error says and turns it into the exit code.
func exitCode(stdout, stderr io.Writer, name string, err error) int {
	var asked *helpAsked
	switch {
	case err == nil:
		return 0
	case errors.As(err, &asked):
		commandHelp(stdout, asked.fs.Name(), asked.fs)
		return 0
	}
	fmt.Fprintf(stderr, "baktainer %s: %v\n", name, err)
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "(baktainer help %s shows how to call it)\n", name)
		return 2
	}
	return 1
}

// helpRequested reads `help [CMD [SUB]]`, `-h`, `--help` and an empty command line:
// name is the command ("" for the overview), args what follows it, and help
// whether only usage was asked for.
func helpRequested(args []string) (name string, rest []string, help bool) {
	if len(args) == 0 || isHelpFlag(args[0]) {
		return "", nil, true
	}
	if args[0] == "help" {
		if len(args) == 1 {
			return "", nil, true
		}
		return args[1], args[2:], true
	}
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			help = true
		}
	}
	return args[0], args[1:], help
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// withHelpFlag makes sure a command asked for help sees a help flag, which its
// parseArgs turns into its usage.
func withHelpFlag(args []string, help bool) []string {
	if !help {
		return args
	}
	for _, a := range args {
		if isHelpFlag(a) {
			return args
		}
	}
	return append(append([]string(nil), args...), "--help")
}

// helpAsked is what parseArgs returns for -h/--help: run prints the command's usage.
type helpAsked struct{ fs *flag.FlagSet }

func (h *helpAsked) Error() string { return "help requested" }

// parseArgs parses flags wherever they appear among the positional arguments
// ("restore ARCHIVE --container db" as well as "restore --container db ARCHIVE"),
// and checks the number of positional arguments. A flag with a bad value is a
// usage error, like an unknown flag.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpAsked{fs}
			}
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

// dirArg is the directory a command works on: its one positional argument, else
// BT_BACKUP_DIR (default /backups).
func (e *runEnv) dirArg(pos []string) (string, error) {
	if len(pos) == 1 {
		return pos[0], nil
	}
	cfg, err := e.settings("BT_BACKUP_DIR")
	return cfg.BackupDir, err
}

// backupDirArg is dirArg checked as a backup directory (backupDir): the one
// argument list, migrate and prune take.
func (e *runEnv) backupDirArg(pos []string) (string, error) {
	dir, err := e.dirArg(pos)
	if err != nil {
		return "", err
	}
	return backupDir(e, dir)
}

// runVersion prints the version.
func runVersion(_ context.Context, env *runEnv, args []string) error {
	if _, err := parseArgs(flag.NewFlagSet("version", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	_, err := fmt.Fprintln(env.stdout, version.Version)
	return err
}
