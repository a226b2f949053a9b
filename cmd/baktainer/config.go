package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

// errConfigWarnings reports that `config check` found settings baktainer ignores.
var errConfigWarnings = errors.New("the configuration has warnings")

// runConfig handles `config check`: print the effective configuration with
// secrets masked, the Docker endpoint and the Ruby Baktainer's variables that are
// set, or every problem with the variable to fix. Notes (a value in quotes, a
// Ruby-era variable read with its old meaning) do not fail the check; warnings
// (unknown BT_* variables, Ruby-era settings not done as they were) do: baktainer
// would run, but not as the variable's author meant.
func runConfig(_ context.Context, env *runEnv, args []string) error {
	pos, err := parseArgs(flag.NewFlagSet("config check", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	if pos[0] != "check" {
		return fmt.Errorf("%w: config: unknown subcommand %q (check)", errUsage, pos[0])
	}
	if _, err := env.settings(); err != nil {
		problems := unjoin(err)
		for _, p := range problems {
			fmt.Fprintln(env.stderr, "  "+p.Error())
		}
		return fmt.Errorf("%d problem(s) in the configuration", len(problems))
	}
	if err := env.cfg.Print(env.stdout); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nDocker API: %s\n", env.cfg.Docker)
	if ruby := env.cfg.RubySettings(); len(ruby) > 0 {
		fmt.Fprintln(env.stdout, "\nThe Ruby Baktainer's variables (read for their old meaning; see the notes and docs/MIGRATING.md):")
		for _, s := range ruby {
			fmt.Fprintf(env.stdout, "  %s=%s\n", s.Name, s.Value)
		}
	}
	for _, n := range env.cfg.Notices() {
		fmt.Fprintln(env.stderr, "  note: "+n.String())
	}
	warnings := env.cfg.Warnings()
	for _, w := range warnings {
		fmt.Fprintln(env.stderr, "  warning: "+w.String())
	}
	if len(warnings) > 0 {
		return fmt.Errorf("%w: %d warning(s) about variables baktainer does not read, or not as they say (see above)", errConfigWarnings, len(warnings))
	}
	return nil
}

// unjoin flattens errors.Join trees.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
