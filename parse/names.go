package parse

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength caps backup names (the baktainer.name label, or the container's
// name) and volume names. The longest file name the store derives from a backup
// name is
//
//	".baktainer-tmp-" + NAME + "-20060102T150405Z" + "-NN" + "." + a 16-character
//	dump extension + ".zst" + ".age" + ".sha256" + "-" + 10 random digits
//
// that is NAME + 78 bytes, which must fit the 255 bytes of a file name: NAME may
// be 177 bytes; 128 leaves room for what a later version adds. A volume's state
// file (".tmp-" + NAME + "-" + 10 digits, NAME + ".json") is shorter.
const MaxNameLength = 128

// BackupName checks a backup's name: it becomes a directory and the start of
// every archive's file name. 1 to MaxNameLength letters, digits, '.', '_' and '-',
// not starting with '.' or '-'.
func BackupName(s string) error {
	if err := nameChars(s); err != nil {
		return err
	}
	if s[0] == '.' || s[0] == '-' {
		return errors.New("must not start with '.' or '-'")
	}
	return nil
}

// VolumeName checks a backup volume's name as Docker's local driver does (a
// letter or digit, then letters, digits, '_', '.' and '-'), capped at MaxNameLength.
func VolumeName(s string) error {
	if err := nameChars(s); err != nil {
		return err
	}
	if !isAlnum(rune(s[0])) {
		return errors.New("must start with a letter or digit")
	}
	return nil
}

func nameChars(s string) error {
	if s == "" || len(s) > MaxNameLength {
		return fmt.Errorf("must be 1 to %d characters long", MaxNameLength)
	}
	for _, r := range s {
		if !isAlnum(r) && r != '.' && r != '_' && r != '-' {
			return errors.New("may hold only letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// maxIdentifierLength is far above any engine's own limit (PostgreSQL 63 bytes,
// MySQL 64 characters); it only bounds what a label can make baktainer carry.
const maxIdentifierLength = 255

// Identifier checks a name that a dump tool receives, such as a database or a
// user: one word that cannot be taken for an option or a key=value setting, so
// not starting with '-' and without '=', white space or control characters.
func Identifier(s string) error {
	switch {
	case s == "" || len(s) > maxIdentifierLength:
		return fmt.Errorf("must be 1 to %d bytes long", maxIdentifierLength)
	case !utf8.ValidString(s):
		return errors.New("must be valid UTF-8")
	case s[0] == '-':
		return errors.New("must not start with '-' (it would be read as an option)")
	case strings.Contains(s, "="):
		return errors.New("must not contain '=' (it would be read as a key=value setting)")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("must be one word, without spaces or control characters")
	}
	return nil
}

// maxPathLength is Linux's PATH_MAX.
const maxPathLength = 4096

// AbsolutePath checks a path inside a container: absolute, valid UTF-8, without
// NUL or other control characters.
func AbsolutePath(s string) error {
	switch {
	case !strings.HasPrefix(s, "/"):
		return errors.New("must be an absolute path")
	case len(s) > maxPathLength:
		return fmt.Errorf("must be at most %d bytes long", maxPathLength)
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return errors.New("must not contain control characters")
	}
	return nil
}
