package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/store"
)

// migrateVars are the settings `migrate` reads: the new archives' compression and
// encryption and reader group, and the Ruby tool's keys that open its archives.
var migrateVars = append([]string{"BT_COMPRESSION", "BT_COMPRESSION_LEVEL", "BT_COMPRESS", "BT_ENCRYPTION_ENABLED", "BT_ARCHIVE_GROUP",
	legacy.EnvKey, legacy.EnvKeyFile}, config.EncryptionVars...)

// runMigrate rewrites the Ruby Baktainer's archives under a directory into the
// store's format (legacy.Migrate): each is verified first, written under its
// mapped name at its own time, and the new archive verified and, when it can be
// opened, read back and compared; originals stay unless --remove-originals, and go
// only after the read-back. Running it again writes nothing new.
func runMigrate(ctx context.Context, env *runEnv, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dest := fs.String("dest", "", "the directory the new archives go under, as <dest>/<name>/<date>/... (default DIR itself: both layouts share it)")
	remove := fs.Bool("remove-originals", false, "delete each original and its .meta once its new archive has been read back and found identical")
	var ids identityFlags
	ids.register(fs)
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	dir, err := env.backupDirArg(pos)
	if err != nil {
		return err
	}
	if *dest == "" {
		*dest = dir
	}
	opts, err := migrateOptions(env, *dest, *remove, ids)
	if err != nil {
		return err
	}
	archives, problems, err := legacy.Find(ctx, dir)
	if err != nil {
		return err
	}
	results, err := legacy.Migrate(ctx, archives, opts)
	failed := printMigrated(env, results)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%d Ruby-era archive(s) under %s\n", len(archives), dir)
	if failed > 0 {
		return fmt.Errorf("%d archive(s) not migrated (see above); their originals are untouched", failed)
	}
	return reportProblems(env, rubyStoreProblems(problems))
}

// migrateOptions are the settings' compression, encryption and Ruby-era keys, and
// the flags' identities.
func migrateOptions(env *runEnv, dest string, remove bool, ids identityFlags) (legacy.MigrateOptions, error) {
	cfg, err := env.settings(migrateVars...)
	if err != nil {
		return legacy.MigrateOptions{}, err
	}
	identities, err := ids.load()
	if err != nil {
		return legacy.MigrateOptions{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	return legacy.MigrateOptions{Dest: dest, Keys: cfg.LegacyKeys, Identities: identities, RemoveOriginals: remove,
		Store: store.Options{Compression: cfg.Compression, Level: cfg.CompressionLevel, Encryption: cfg.Encryption,
			ReaderGroup: cfg.ArchiveGroup}}, nil
}

// printMigrated prints what became of each archive and returns how many failed.
func printMigrated(env *runEnv, results []legacy.MigrateResult) (failed int) {
	for _, r := range results {
		switch r.Action {
		case legacy.Failed:
			failed++
			fmt.Fprintf(env.stderr, "failed %s: %v\n", r.Source, r.Err)
			continue
		case legacy.AlreadyMigrated:
			fmt.Fprintf(env.stdout, "already migrated %s -> %s", r.Source, r.Archive)
		default:
			fmt.Fprintf(env.stdout, "migrated %s -> %s", r.Source, r.Archive)
		}
		if r.Detail != "" {
			fmt.Fprintf(env.stdout, " (%s)", r.Detail)
		}
		if r.Removed {
			fmt.Fprint(env.stdout, "; original removed")
		}
		fmt.Fprintln(env.stdout)
	}
	return failed
}
