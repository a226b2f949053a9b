package main

import (
	"context"
	"fmt"

	"github.com/baktainer/baktainer/config"
)

// runConfig handles `config check`: print the effective configuration with
// secrets masked, or every problem with the variable to fix.
func runConfig(_ context.Context, env *runEnv, args []string) error {
	if len(args) != 1 || args[0] != "check" {
		return fmt.Errorf("%w: config check", errUsage)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		var problems []string
		for _, e := range unjoin(err) {
			problems = append(problems, "  "+e.Error())
		}
		for _, p := range problems {
			fmt.Fprintln(env.stderr, p)
		}
		return fmt.Errorf("%d problem(s) in the configuration", len(problems))
	}
	return cfg.Print(env.stdout)
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
