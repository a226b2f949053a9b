package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/baktainer/baktainer/store"
)

// listedArchive is one element of `list --json`: stable field names for scripts.
type listedArchive struct {
	Path        string    `json:"path"`
	Name        string    `json:"name"`
	Container   string    `json:"container"`
	Engine      string    `json:"engine"`
	Database    string    `json:"database"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"`
	DumpSize    int64     `json:"dump_size"`
	SHA256      string    `json:"sha256"`
	Compression string    `json:"compression"`
	Encrypted   bool      `json:"encrypted"`
	Encryption  string    `json:"encryption"`
	Recipients  []string  `json:"recipients,omitempty"`
}

// runList prints the committed archives under a directory, oldest first. Anything
// that looks like an archive but cannot be trusted is reported on stderr, the rest
// still listed, and the exit status is then 1.
func runList(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print a JSON array instead of a table")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	dir, err := env.dirArg(pos)
	if err != nil {
		return err
	}
	if dir, err = backupDir(env, dir); err != nil {
		return err
	}
	listing, err := store.Scan(ctx, dir)
	if err != nil {
		return err
	}
	if *asJSON {
		err = printJSON(env, listing.Archives)
	} else {
		err = printTable(env, listing.Archives)
	}
	if err != nil {
		return err
	}
	return reportProblems(env, listing.Problems)
}

func printJSON(env *runEnv, archives []store.Archive) error {
	out := make([]listedArchive, 0, len(archives))
	for _, a := range archives {
		m := a.Meta
		out = append(out, listedArchive{
			Path: a.Path, Name: m.Name, Container: m.Container, Engine: m.Engine, Database: m.Database,
			Created: m.Created, Size: m.Size, DumpSize: m.DumpSize, SHA256: m.SHA256,
			Compression: string(m.Compression), Encrypted: m.Encrypted(), Encryption: m.Encryption.Mode,
			Recipients: m.Encryption.Recipients,
		})
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func printTable(env *runEnv, archives []store.Archive) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tNAME\tENGINE\tSIZE\tENCRYPTION\tPATH")
	for _, a := range archives {
		m := a.Meta
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.Created.Format(time.RFC3339), m.Name, m.Engine, m.Size, m.Encryption.Mode, a.Path)
	}
	return tw.Flush()
}

// reportProblems prints each untrusted archive on stderr and returns errProblems
// when there was any.
func reportProblems(env *runEnv, problems []store.Problem) error {
	for _, p := range problems {
		fmt.Fprintf(env.stderr, "warning: not counted, left alone: %v\n", p.Err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d archive(s) could not be trusted (see the warnings above)", errProblems, len(problems))
	}
	return nil
}

// backupDir checks the directory list and prune work on: it must exist (a typo
// is an error, not an empty listing). A link is resolved here, once and out loud;
// below it the store follows no link.
func backupDir(env *runEnv, dir string) (string, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("backup directory %s does not exist", dir)
	case err != nil:
		return "", err
	case fi.Mode()&fs.ModeSymlink != 0:
		resolved, err := filepath.EvalSymlinks(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("backup directory %s is a link to %s, which does not exist", dir, mustReadlink(dir))
		}
		if err != nil {
			return "", err
		}
		env.log.WithField("directory", dir).Infof("the backup directory is a link: using %s", resolved)
		return backupDir(env, resolved)
	case !fi.IsDir():
		return "", fmt.Errorf("backup directory %s is not a directory", dir)
	}
	return dir, nil
}

func mustReadlink(path string) string {
	target, _ := os.Readlink(path)
	return target
}
