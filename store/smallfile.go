package store

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadSmallFile reads a small regular file whole: a key, a passphrase, a
// certificate, a file a setting names. O_NONBLOCK: opening a FIFO put there must
// not wait for a writer; anything but a regular file is refused, and a file
// larger than limit bytes is an error (nothing past limit+1 bytes is read).
func ReadSmallFile(path string, limit int64) ([]byte, error) {
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
	return readAllCapped(f, path, limit)
}

// readAllCapped reads f (named path in messages) to its end; more than limit
// bytes is an error, and nothing past limit+1 bytes is read.
func readAllCapped(f *os.File, path string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
