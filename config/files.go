package config

import (
	"fmt"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// maxSmallFile bounds what is read from a file a setting names (a key, a
// certificate): such files are a few KiB.
const maxSmallFile = 1 << 20

// readSmallFile reads a small regular file a setting names (store.ReadSmallFile).
func readSmallFile(path string) ([]byte, error) { return store.ReadSmallFile(path, maxSmallFile) }

// isPEM says whether a setting's value is PEM itself rather than a file's path.
func isPEM(value string) bool { return strings.HasPrefix(strings.TrimSpace(value), "-----BEGIN ") }

// pemOrFile reads a setting that holds PEM or the path of a file holding it, as
// the Ruby Baktainer read BT_CA, BT_CERT and BT_KEY. A secret's errors never
// repeat its value (a key pasted without its BEGIN line would be taken for a path).
func pemOrFile(value string, secret bool) ([]byte, error) {
	if isPEM(value) {
		return []byte(strings.TrimSpace(value) + "\n"), nil
	}
	data, err := readSmallFile(value)
	if err != nil && secret {
		return nil, fmt.Errorf("is neither PEM (-----BEGIN ...) nor the path of a readable regular file")
	}
	if err != nil {
		return nil, fmt.Errorf("is neither PEM (-----BEGIN ...) nor the path of a readable regular file: %v", err)
	}
	return data, nil
}
