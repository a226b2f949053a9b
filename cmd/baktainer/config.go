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
// secrets masked, or every problem with the variable to fix. Unknown BT_*
// variables (typos, Ruby-era settings) are warnings, and fail the check too:
// baktainer would run, but not as the variable's author meant.
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
	warnings := env.cfg.Warnings()
	for _, w := range warnings {
		fmt.Fprintln(env.stderr, "  warning: "+w.String())
	}
	if len(warnings) > 0 {
		return fmt.Errorf("%w: %d variable(s) baktainer does not read", errConfigWarnings, len(warnings))
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
