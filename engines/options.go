package engines

import (
	"fmt"
	"sort"
	"strings"

	"github.com/baktainer/baktainer/labels"
)

// deniedOptions maps the long names of a dump tool's options that
// baktainer.db.options may not pass to the reason, as the user reads it.
type deniedOptions map[string]string

// The reasons options are denied, shared by the engines' lists.
const (
	whyOutput   = "writes the dump somewhere other than to baktainer, which streams the tool's standard output into the archive"
	whyConnect  = "connects elsewhere: baktainer connects through the container's own socket, and the password it passes would go there"
	whyCreds    = "sets credentials, which baktainer passes itself (labels, secrets, the image's variables), never on a command line"
	whySelect   = "chooses databases, which baktainer.db.name, baktainer.db.all, baktainer.db.include and baktainer.db.exclude do"
	whyNotADump = "prints something other than a dump"
)

// checkOptions returns a *labels.Error for baktainer.db.options when a word
// of opts is not an option baktainer lets reach the engine's dump tool: each
// word must be one long option, "--name" or "--name=value" (a short option can
// hide others in one word, a separate value word can be read as a database or
// table), and its name must not be, or abbreviate, a denied one. normalize
// maps a name to the tool's canonical spelling (nil: as written).
func checkOptions(engine string, opts []string, deny deniedOptions, normalize func(string) string) error {
	for _, word := range opts {
		if err := checkOption(engine, word, deny, normalize); err != nil {
			return &labels.Error{Label: labels.DumpOptions, Value: word, Problem: err.Error()}
		}
	}
	return nil
}

func checkOption(engine, word string, deny deniedOptions, normalize func(string) string) error {
	name, _, _ := strings.Cut(word, "=")
	switch {
	case word == "--":
		return fmt.Errorf("ends the options: what follows it would be read as database or table names")
	case strings.HasPrefix(word, "--") && len(name) > 2:
	case strings.HasPrefix(word, "-"):
		return fmt.Errorf("write it as a long option (--name or --name=value): a short option can hide others in one word")
	default:
		return fmt.Errorf("is not an option: write each option as one word, its value after '=' (e.g. --exclude-table=audit); " +
			"a separate word could be read as a database or table name")
	}
	name = strings.TrimPrefix(name, "--")
	if normalize != nil {
		name = normalize(name)
	}
	for _, denied := range sortedKeys(deny) {
		if name == denied {
			return fmt.Errorf("--%s is not allowed for %s: it %s", denied, engine, deny[denied])
		}
		if strings.HasPrefix(denied, name) {
			return fmt.Errorf("abbreviates --%s, which is not allowed for %s: it %s", denied, engine, deny[denied])
		}
	}
	return nil
}

func sortedKeys(m deniedOptions) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// noOptions refuses baktainer.db.options for an engine whose dump takes none.
func noOptions(engine string, spec labels.Spec, why string) error {
	if spec.DumpOptions == nil {
		return nil
	}
	return &labels.Error{Label: labels.DumpOptions, Problem: "is not supported for " + engine + ": " + why}
}

// pgDenied are pg_dump's and pg_dumpall's options that baktainer.db.options
// may not pass: either tool may run (db.all, db.split).
var pgDenied = deniedOptions{
	"file":             whyOutput,
	"format":           "changes the dump's format; baktainer's restore and its completeness check read plain SQL",
	"jobs":             "needs the directory format; baktainer's restore reads plain SQL",
	"compress":         "compresses the dump inside the container; baktainer compresses the archive and reads plain SQL",
	"create":           "makes the dump create and connect to its database, which the restore (one transaction into the target's database) cannot run",
	"dbname":           whyConnect,
	"host":             whyConnect,
	"port":             whyConnect,
	"username":         whyCreds,
	"password":         whyCreds,
	"exclude-database": whySelect,
	"version":          whyNotADump,
	"help":             whyNotADump,
	"data-only":        "cannot be combined with --clean, which baktainer passes so that a restore replaces what the dump holds",
}

// mysqlDenied are mariadb-dump's and mysqldump's options that
// baktainer.db.options may not pass.
var mysqlDenied = deniedOptions{
	"result-file":             whyOutput,
	"tab":                     whyOutput + " (one file per table, on the server's disk)",
	"xml":                     "changes the dump's format; baktainer's restore and its completeness check read SQL",
	"host":                    whyConnect,
	"port":                    whyConnect,
	"socket":                  whyConnect,
	"protocol":                whyConnect,
	"pipe":                    whyConnect,
	"shared-memory-base-name": whyConnect,
	"user":                    whyCreds,
	"password":                whyCreds,
	"defaults-file":           "reads an option file, which may change the connection and credentials",
	"defaults-extra-file":     "reads an option file, which may change the connection and credentials",
	"defaults-group-suffix":   "reads other groups of the option files, which may change the connection and credentials",
	"login-path":              "reads a login path, which changes the connection and credentials",
	"no-defaults":             "must come first on the command line",
	"print-defaults":          whyNotADump,
	"databases":               whySelect,
	"all-databases":           whySelect,
	"compact":                 "leaves out the header and footer comments that the completeness check and the restore rely on",
	"comments":                "decides whether the header and footer comments that the completeness check and the restore rely on are written",
	"plugin-dir":              "loads client plugins from another directory",
	"default-auth":            "loads a client authentication plugin",
	"version":                 whyNotADump,
	"help":                    whyNotADump,
}

// mysqlOptionName is a MySQL client option's canonical name: '_' is '-', and
// the loose-, maximum-, skip-, disable- and enable- prefixes name the same
// option (my_getopt).
func mysqlOptionName(name string) string {
	name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	for _, prefix := range []string{"loose-", "maximum-", "skip-", "disable-", "enable-"} {
		name = strings.TrimPrefix(name, prefix)
	}
	return name
}

// mongoDenied are mongodump's options that baktainer.db.options may not pass.
var mongoDenied = deniedOptions{
	"out":                    whyOutput,
	"archive":                whyOutput + " (baktainer passes --archive itself, to standard output)",
	"gzip":                   "compresses the archive inside the container; baktainer compresses it and checks the archive's end",
	"host":                   whyConnect,
	"port":                   whyConnect,
	"uri":                    whyConnect,
	"username":               whyCreds,
	"password":               whyCreds,
	"authenticationDatabase": whyCreds,
	"config":                 whyCreds,
	"db":                     whySelect,
	"version":                whyNotADump,
	"help":                   whyNotADump,
}
