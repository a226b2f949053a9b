package parse

import (
	"crypto/sha256"
	"encoding/hex"
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

// MapBackupName turns any value into a backup name the store can use, the same
// value always into the same name. changed says the name is not the value as given.
//
//  1. White space around it and one pair of matching quotes are taken off
//     (Unquote): `"MyApp"` is MyApp.
//  2. A valid BackupName is then used as it is.
//  3. Otherwise each run of characters other than ASCII letters, digits, '.', '_'
//     and '-' becomes one '_', leading '.' and '-' are dropped ("backup" if nothing
//     is left), the result is cut to MaxNameLength-9 bytes, and '-' and the first 8
//     hex digits of the SHA-256 of the value (from step 1) are appended: "my app"
//     is my_app-<8 hex digits>. The digits keep two values that differ ("my app",
//     "my/app") from sharing one name, whose retention would remove each other's
//     archives.
func MapBackupName(value string) (name string, changed bool) {
	v, _ := Unquote(value)
	v = strings.TrimSpace(v)
	if BackupName(v) == nil {
		return v, v != value
	}
	var b strings.Builder
	inRun := false
	for _, r := range v {
		if isAlnum(r) || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
			inRun = false
		} else if !inRun {
			b.WriteByte('_')
			inRun = true
		}
	}
	base := strings.TrimLeft(b.String(), ".-")
	if base == "" {
		base = "backup"
	}
	const suffix = 9 // "-" and 8 hex digits
	if len(base) > MaxNameLength-suffix {
		base = base[:MaxNameLength-suffix]
	}
	sum := sha256.Sum256([]byte(v))
	return base + "-" + hex.EncodeToString(sum[:4]), true
}
