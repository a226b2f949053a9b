package legacy

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// The Ruby tool's dumps are plain text from the engine's own tool: pg_dump or
// pg_dumpall, mysqldump, and for SQLite `sqlite3 DB .dump`, whose script opens a
// transaction and ends by committing it (or, when it met errors, rolling it back).
var (
	pgHeader      = []byte("-- PostgreSQL database")
	mysqlHeader   = regexp.MustCompile(`(?m)^-- (MySQL|MariaDB) dump `)
	sqliteHeader  = []byte("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
	sqliteCommit  = []byte("COMMIT;")
	sqliteRolback = []byte("ROLLBACK; -- due to errors")
)

// recognise names the engine whose tool wrote a dump that starts with head, or "".
func recognise(head []byte) string {
	switch {
	case bytes.Contains(head, pgHeader):
		return "postgres"
	case bytes.HasPrefix(head, sqliteHeader):
		return "sqlite"
	}
	if m := mysqlHeader.FindSubmatch(head); m != nil {
		if string(m[1]) == "MariaDB" {
			return "mariadb"
		}
		return "mysql"
	}
	return ""
}

// checkComplete checks a Ruby-era dump of engine by its first and last bytes, as
// engines' CheckComplete does for the current dumps, and says what it checked.
func checkComplete(engine string, head, tail []byte) (string, error) {
	switch labels.CanonicalEngine(engine) {
	case "postgres", "mysql", "mariadb":
		eng, err := engines.Default().Lookup(engine)
		if err != nil {
			return "", err
		}
		if err := eng.CheckComplete(head, tail); err != nil {
			return "", fmt.Errorf("%w: %v", ErrIncomplete, err)
		}
		return "the dump has " + eng.Name() + "'s dump tool's header and footer", nil
	case "sqlite":
		if !bytes.HasPrefix(head, sqliteHeader) {
			return "", fmt.Errorf("%w: does not start like sqlite3's .dump", ErrIncomplete)
		}
		end := bytes.TrimRight(tail, " \r\n")
		if bytes.HasSuffix(end, sqliteRolback) {
			return "", fmt.Errorf("%w: sqlite3's .dump met errors and rolled back", ErrIncomplete)
		}
		if !bytes.HasSuffix(end, sqliteCommit) {
			return "", fmt.Errorf("%w: sqlite3's .dump does not end with COMMIT (cut short?)", ErrIncomplete)
		}
		return "the dump is sqlite3 .dump's whole transaction", nil
	}
	return "", nil
}
