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
	"sort"
	"text/tabwriter"
	"time"

	"github.com/baktainer/baktainer/legacy"
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
	// Format is "baktainer", or "ruby" for an archive the Ruby Baktainer wrote
	// (Name is then its name mapped as baktainer.name is, RubyName the one in its
	// file name, and Meta which .meta is beside it: backup, encryption or none).
	Format   string `json:"format"`
	RubyName string `json:"ruby_name,omitempty"`
	Meta     string `json:"meta,omitempty"`
}

// runList prints the committed archives under a directory, the Ruby Baktainer's
// among them, oldest first. Anything that looks like an archive but cannot be
// trusted is reported on stderr, the rest still listed, and the exit status is
// then 1.
func runList(ctx context.Context, env *runEnv, args []string) error {
	flags := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print a JSON array instead of a table")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 && isS3(pos[0]) { // off-host copies (s3.go)
		return listS3(ctx, env, pos[0], *asJSON)
	}
	dir, err := env.backupDirArg(pos)
	if err != nil {
		return err
	}
	listing, err := store.Scan(ctx, dir)
	if err != nil {
		return err
	}
	ruby, rubyProblems, err := legacy.Find(ctx, dir)
	if err != nil {
		return err
	}
	listed := listedArchives(listing.Archives, ruby)
	if *asJSON {
		err = printJSON(env, listed)
	} else {
		err = printTable(env, listed)
	}
	if err != nil {
		return err
	}
	return reportProblems(env, append(listing.Problems, rubyStoreProblems(rubyProblems)...))
}

// listedArchives lists both kinds of archives, oldest first.
func listedArchives(current []store.Archive, ruby []legacy.Archive) []listedArchive {
	out := make([]listedArchive, 0, len(current)+len(ruby))
	for _, a := range current {
		m := a.Meta
		out = append(out, listedArchive{
			Path: a.Path, Name: m.Name, Container: m.Container, Engine: m.Engine, Database: m.Database,
			Created: m.Created, Size: m.Size, DumpSize: m.DumpSize, SHA256: m.SHA256,
			Compression: string(m.Compression), Encrypted: m.Encrypted(), Encryption: m.Encryption.Mode,
			Recipients: m.Encryption.Recipients, Format: "baktainer",
		})
	}
	for _, a := range ruby {
		out = append(out, listedRuby(a))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// listedRuby describes a Ruby-era archive as `list` shows it.
func listedRuby(a legacy.Archive) listedArchive {
	l := listedArchive{Path: a.Path, Name: a.BackupName(), Created: a.Created, Size: a.Size, Compression: "none",
		Encrypted: a.Encrypted, Encryption: "none", Format: "ruby", RubyName: a.Name, Meta: "none"}
	if a.Gzip {
		l.Compression = "gzip"
	}
	if a.Encrypted {
		l.Encryption = "bakt"
	}
	if m := a.Meta; m != nil {
		l.Meta = string(m.Kind())
		l.Container, l.Engine, l.Database, l.SHA256 = m.ContainerName, m.Engine, m.Database, m.Checksum
	}
	return l
}

// rubyStoreProblems reports what is in the Ruby tool's day directories but is no
// usable archive as the store's own problems are reported.
func rubyStoreProblems(problems []legacy.Problem) []store.Problem {
	out := make([]store.Problem, 0, len(problems))
	for _, p := range problems {
		out = append(out, store.Problem{Path: p.Path, Err: fmt.Errorf("%s (Ruby-era layout): %w", p.Path, p.Err)})
	}
	return out
}

func printJSON(env *runEnv, archives []listedArchive) error {
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(archives)
}

func printTable(env *runEnv, archives []listedArchive) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tNAME\tENGINE\tSIZE\tENCRYPTION\tFORMAT\tPATH")
	for _, a := range archives {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", a.Created.Format(time.RFC3339), a.Name, dash(a.Engine), a.Size, dash(a.Encryption), a.Format, a.Path)
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
