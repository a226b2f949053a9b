package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
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

// runList prints the committed archives under a directory, oldest first.
func runList(_ context.Context, env *runEnv, args []string) error {
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
	archives, err := store.List(dir)
	if err != nil {
		return err
	}
	if *asJSON {
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
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tNAME\tENGINE\tSIZE\tENCRYPTION\tPATH")
	for _, a := range archives {
		m := a.Meta
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.Created.Format(time.RFC3339), m.Name, m.Engine, m.Size, m.Encryption.Mode, a.Path)
	}
	return tw.Flush()
}
