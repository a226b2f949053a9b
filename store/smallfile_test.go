package store

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadSmallFile(t *testing.T) {
	dir := t.TempDir()
	small, big, fifo := filepath.Join(dir, "small"), filepath.Join(dir, "big"), filepath.Join(dir, "fifo")
	if err := os.WriteFile(small, []byte("key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 11), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string // want: "" for success, else a part of the error
	}{
		{small, ""},
		{big, "larger than 10 bytes"},
		{fifo, "not a regular file"}, // at once: never waits for a writer
		{dir, "not a regular file"},
		{filepath.Join(dir, "missing"), "no such file"},
	} {
		data, err := ReadSmallFile(tc.path, 10)
		switch {
		case tc.want == "" && (err != nil || string(data) != "key\n"):
			t.Errorf("%s: %q, %v", tc.path, data, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v; want an error saying %q", tc.path, err, tc.want)
		}
	}
}
