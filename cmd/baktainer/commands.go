package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/baktainer/baktainer/version"
)

// command is one subcommand: what it does, how it is called, an example, and
// run, which gets the arguments after the command's name. Entries named
// "CMD SUB" describe a subcommand that CMD's run dispatches to (their run is nil).
type command struct {
	summary     string
	usage       string // what follows "baktainer NAME"
	example     string
	subcommands []string
	run         func(ctx context.Context, env *runEnv, args []string) error
}

var commands = map[string]command{
	"plugin": {summary: "serve the backup volume driver (the managed plugin's entrypoint)",
		usage: "[--data DIR] [--mounts DIR] [--socket NAME]", example: "baktainer plugin --data /data", run: runPlugin},
	"agent": {summary: "run the agent: discover, schedule and back up labelled containers",
		usage: "[--backup-dir DIR] [--state-dir DIR] [--selector KEY=VALUE,...]", example: "BT_CRON='30 2 * * *' baktainer agent --backup-dir /backups", run: runAgent},
	"backup": {summary: "back up one container now, then apply the retention policy to its backup name as the agent does",
		usage: "CONTAINER [--dir DIR] | CONTAINER --via URL [--no-wait]", example: "baktainer backup shop-db --dir /backups", run: runBackup},
	"config": {summary: "check the settings: print the effective configuration, secrets masked",
		usage: "check", example: "BT_RETENTION_DAYS=14 baktainer config check", subcommands: []string{"check"}, run: runConfig},
	"config check": {summary: "print the effective configuration (secrets masked); exit 1 on a bad or unknown BT_* variable",
		usage: "", example: "baktainer config check"},
	"plan": {summary: "show what the agent would back up, when and where, without running anything",
		usage: "[--backup-dir DIR] [--state-dir DIR] [--selector KEY=VALUE,...] [--json]", example: "baktainer plan --selector env=prod", run: runPlan},
	"restore": {summary: "restore an archive (or an off-host copy, s3://BUCKET/KEY, streamed from its bucket) into a running container",
		usage:   "ARCHIVE|s3://BUCKET/KEY --container NAME [--identity FILE]... [--passphrase-file FILE]",
		example: "baktainer restore /backups/shop/2025-01-31/shop-20250131T020000Z.sql.zst --container shop-db", run: runRestore},
	"labels": {summary: "check containers' baktainer labels, or print a labelled example service",
		usage: "check [CONTAINER...] [--label KEY[=VALUE]] | example ENGINE [--control]", example: "baktainer labels check shop-db",
		subcommands: []string{"check", "example"}, run: runLabels},
	"labels check": {summary: "check the labels of the named containers (default: every running container labelled baktainer.backup=true); warnings do not fail it",
		usage: "[CONTAINER...] [--label KEY[=VALUE]]", example: "baktainer labels check --label com.example.team=shop"},
	"labels example": {summary: "print a docker-compose service labelled so that baktainer backs it up (--control: with hooks, a stop group, tagged schedules, dump options, a split)",
		usage: "ENGINE [--control]", example: "baktainer labels example postgres --control"},
	"archive": {summary: "pack standard input into an archive, or unpack one to standard output",
		usage: "pack --name NAME [flags] < dump | unpack ARCHIVE [flags] > dump", example: "pg_dump shop | baktainer archive pack --name shop --ext sql --engine postgres",
		subcommands: []string{"pack", "unpack"}, run: runArchive},
	"archive pack": {summary: "pack standard input into a new archive under DIR/NAME/ and print its path",
		usage:   "--name NAME [--dir DIR] [--ext EXT] [--engine ENGINE] [--compress zstd|gzip|none] [--level LEVEL] [key flags] < dump",
		example: "pg_dump shop | baktainer archive pack --name shop --ext sql --engine postgres --level default"},
	"archive unpack": {summary: "check an archive's checksum, then decrypt and decompress it to standard output",
		usage: "ARCHIVE [--identity FILE]... [--passphrase-file FILE] > dump", example: "baktainer archive unpack shop-20250131T020000Z.sql.zst.age --identity key.txt | psql shop"},
	"verify": {summary: "check archives' checksums (--deep: read them back; --restore: restore one into a scratch container and check it)",
		usage:   "PATH|s3://BUCKET/KEY... [--deep] [--identity FILE]... [--passphrase-file FILE] | ARCHIVE --restore [--image IMAGE] [--timeout D] [--memory SIZE]",
		example: "baktainer verify /backups --deep --identity key.txt; baktainer verify --restore /backups/shop/2025-01-31/shop-20250131T020000Z.sql.zst", run: runVerify},
	"list": {summary: "list the archives under a directory, or the off-host copies under s3://BUCKET[/PREFIX] (BT_S3_* credentials), oldest first",
		usage: "[DIR|s3://BUCKET[/PREFIX]] [--json]", example: "baktainer list /backups --json; baktainer list s3://backups/prod", run: runList},
	"prune": {summary: "apply the retention policy (BT_RETENTION_*, a backup volume's retention options, or the flags) to every backup name under a directory",
		usage:   "[DIR | --volume NAME [--data DIR]] [--dry-run] [--name NAME] [--days N] [--count N] [--daily N] [--weekly N] [--monthly N]",
		example: "baktainer prune /backups --count 7 --dry-run; baktainer prune --volume pg-backups --dry-run", run: runPrune},
	"migrate": {summary: "rewrite the Ruby Baktainer's archives under a directory into the current format, keeping the originals",
		usage:   "[DIR] [--dest DIR] [--remove-originals] [--identity FILE]... [--passphrase-file FILE]",
		example: "BT_ENCRYPTION_KEY_FILE=/secrets/ruby-key baktainer migrate /backups", run: runMigrate},
	"keygen": {summary: "write a new age identity file and print its public key (for BT_ENCRYPTION_RECIPIENTS)",
		usage: "--output FILE", example: "baktainer keygen --output /root/baktainer-key.txt", run: runKeygen},
	"volume": {summary: "change a backup volume's options through the plugin's API",
		usage: "set NAME KEY=VALUE... [--via URL]", example: "baktainer volume set pg-backups retention.count=30",
		subcommands: []string{"set"}, run: runVolume},
	"volume set": {summary: "change (KEY=VALUE) or unset (KEY=) a backup volume's options; they apply from the next backup",
		usage: "NAME KEY=VALUE... [--via URL]", example: "baktainer volume set pg-backups retention.count=30 recipients="},
	"version": {summary: "print the version", usage: "", example: "baktainer version", run: runVersion},
}

// usage prints the overview of every command.
func usage(w io.Writer) {
	fmt.Fprintf(w, "baktainer %s: backups of the databases in your Docker containers\n\n", version.Version)
	fmt.Fprintf(w, "Usage:\n  baktainer COMMAND [ARGUMENTS] [FLAGS]\n  baktainer help COMMAND    (or COMMAND --help): a command's usage, flags and an example\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for name, c := range commands {
		if c.run != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-9s %s\n", name, commands[name].summary)
	}
	fmt.Fprintf(w, "\nSettings are BT_* environment variables: baktainer config check shows them (docs/CONFIG.md).\n")
}

// commandHelp prints a command's (or subcommand's) usage, its flags with their
// defaults (from fs, when it has any) or its subcommands, and an example.
func commandHelp(w io.Writer, path string, fs *flag.FlagSet) {
	c := commands[path]
	fmt.Fprintf(w, "baktainer %s: %s\n\nUsage:\n  %s\n", path, c.summary, strings.TrimSpace("baktainer "+path+" "+c.usage))
	if len(c.subcommands) > 0 {
		fmt.Fprintf(w, "\nSubcommands:\n")
		for _, sub := range c.subcommands {
			fmt.Fprintf(w, "  %-8s %s\n", sub, commands[path+" "+sub].summary)
		}
		fmt.Fprintf(w, "\n(baktainer help %s SUBCOMMAND shows a subcommand's flags)\n", path)
	}
	if fs != nil {
		printFlags(w, fs)
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
	}
}

// printFlags lists fs's flags as --name VALUE, usage and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		line := "  --" + f.Name
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			line += " VALUE"
		}
		line += "\n        " + f.Usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "-1" {
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		lines = append(lines, line)
	})
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s\n", strings.Join(lines, "\n"))
	}
}
