package config

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// maxSmallFile bounds what is read from a file a setting names (a key, a
// certificate): such files are a few KiB.
const maxSmallFile = 1 << 20

// readSmallFile reads a small regular file whole. O_NONBLOCK: opening a FIFO put
// there must not wait for a writer; anything but a regular file is refused.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSmallFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxSmallFile)
	}
	return data, nil
}

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
