package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// runLabels checks containers' baktainer labels, or prints an example service.
func runLabels(ctx context.Context, env *runEnv, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: labels check [CONTAINER...] | labels example ENGINE [--control]", errUsage)
	}
	switch args[0] {
	case "check":
		return labelsCheck(ctx, env, args[1:])
	case "example":
		fs := flag.NewFlagSet("labels example", flag.ContinueOnError)
		control := fs.Bool("control", false, "with hooks, stop groups, schedules with tags, dump options and a split (docs/LABELS.md)")
		pos, err := parseArgs(fs, args[1:], 1, 1)
		if err != nil {
			return err
		}
		if *control {
			return labelsControlExample(env.stdout, pos)
		}
		return labelsExample(env.stdout, pos)
	}
	return fmt.Errorf("%w: labels: unknown subcommand %q (check or example)", errUsage, args[0])
}

// labelsCheck resolves each container's labels as a backup would and prints every
// problem, each naming its label, and every warning (an unknown label); with no
// container named, it checks every running container labelled
// baktainer.backup=true. Any problem makes it fail; warnings do not.
func labelsCheck(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("labels check", flag.ContinueOnError)
	selector := fs.String("label", "", "with no CONTAINER: only containers that also carry this label (KEY or KEY=VALUE)")
	names, err := parseArgs(fs, args, 0, -1)
	if err != nil {
		return err
	}
	dc, err := env.connectDocker(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	if len(names) == 0 {
		var selectors []string
		if *selector != "" {
			selectors = append(selectors, *selector)
		}
		found, err := agent.ListTargets(ctx, dc, selectors...)
		if err != nil {
			return err
		}
		for _, c := range found {
			names = append(names, c.Name)
		}
		if len(names) == 0 {
			_, err := fmt.Fprintf(env.stdout, "no running container is labelled %s\n", agent.BackupLabel)
			return err
		}
	}
	failed := 0
	for _, name := range names {
		target, eng, err := agent.Resolve(ctx, dc, engines.Default(), name)
		if err == nil {
			err = checkBackupVolume(ctx, dc, target.Spec.Volume)
		}
		if err != nil {
			failed++
			problems := leafErrors(err)
			fmt.Fprintf(env.stdout, "%s: %d problem(s)\n", name, len(problems))
			for _, p := range problems {
				fmt.Fprintf(env.stdout, "  - %s\n", strings.ReplaceAll(p.Error(), "\n", "\n    "))
			}
		} else {
			fmt.Fprintf(env.stdout, "%s: ok (engine %s, database %s)\n", target.Container.Name, eng.Name(), eng.Database(target))
		}
		// Warnings do not stop a backup, so they do not fail the check.
		for _, w := range target.Spec.Warnings {
			fmt.Fprintf(env.stdout, "  - warning: %s\n", w)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d container(s) have label problems", failed, len(names))
	}
	return nil
}

// leafErrors lists the individual problems in an error tree: joined errors are
// split, and "container NAME: " prefixes are peeled off, since the output already
// names the container.
func leafErrors(err error) []error {
	var out []error
	seen := map[string]bool{}
	for _, e := range leaves(err) {
		// The labels parser reports a label first and drops its value; the
		// engine's check of the same label then only repeats it (or says the
		// dropped value is missing): one problem per label is shown.
		key := e.Error()
		var le *labels.Error
		if errors.As(e, &le) {
			key = le.Label
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

func leaves(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	var labelErr *labels.Error
	if errors.As(err, &labelErr) && err == error(labelErr) {
		return []error{err}
	}
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "container ") &&
		strings.HasSuffix(err.Error(), ": "+inner.Error()) {
		return leaves(inner)
	}
	return []error{err}
}

// labelsExample prints a docker-compose service for an engine's official image,
// labelled so that baktainer backs it up as it is.
func labelsExample(w io.Writer, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: labels example ENGINE (one of %s)", errUsage, strings.Join(engines.Default().Names(), ", "))
	}
	eng, err := engines.Default().Lookup(args[0])
	if err != nil {
		return err
	}
	text, err := eng.Example().Compose()
	if err != nil {
		return err
	}
	_, err = w.Write(text)
	return err
}

// labelsControlExample prints the engine's example with the labels of what
// runs around a backup: hooks, a stop group, tagged schedules, dump options
// and one archive per database (engines.ControlExample).
func labelsControlExample(w io.Writer, args []string) error {
	eng, err := engines.Default().Lookup(args[0])
	if err != nil {
		return err
	}
	text, err := engines.ControlExample(eng).Compose()
	if err != nil {
		return err
	}
	_, err = w.Write(text)
	return err
}
