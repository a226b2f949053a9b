package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// OpenVerified hashes the archive while it is read: a file changed after the
// checks at open (the same file, rewritten in place) ends in ErrChecksumMismatch,
// never in a clean io.EOF, so a restore can roll back before it commits.
func TestOpenVerifiedCatchesAChangeAfterTheChecks(t *testing.T) {
	for _, comp := range []Compression{None, Zstd} {
		t.Run(string(comp), func(t *testing.T) {
			root := t.TempDir()
			data := sampleDump(t, 2<<20)
			path, _ := writeArchive(t, root, "db", time.Time{}, data, Options{Compression: comp})

			meta, r, err := OpenVerified(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Name != "db" {
				t.Errorf("meta = %+v", meta)
			}
			// The checks at open passed; now the file changes under the reader.
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			size, _ := f.Seek(0, io.SeekEnd)
			last := []byte{0}
			if _, err := f.ReadAt(last, size-1); err != nil {
				t.Fatal(err)
			}
			if comp == None {
				last[0] ^= 0x20 // still text, so nothing but the hash can tell
			} else {
				last[0] ^= 0x01
			}
			if _, err := f.WriteAt(last, size-1); err != nil {
				t.Fatal(err)
			}
			f.Close()
			_, err = io.Copy(io.Discard, r)
			_ = r.Close()
			if !errors.Is(err, ErrChecksumMismatch) && !errors.Is(err, ErrDamaged) {
				t.Fatalf("reading a file changed after the checks ended with %v; want a checksum mismatch", err)
			}
		})
	}
}

func TestOpenVerifiedReadsBackAndRefusesUpFront(t *testing.T) {
	root := t.TempDir()
	data := sampleDump(t, 256<<10)
	id, enc := testKey(t)
	path, _ := writeArchive(t, root, "db", time.Time{}, data, Options{Encryption: enc})
	_, r, err := OpenVerified(context.Background(), path, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	_ = r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	// A file already changed at open is refused before a byte is returned.
	raw, _ := os.ReadFile(path)
	raw[len(raw)/2] ^= 1
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenVerified(context.Background(), path, id); !errors.Is(err, ErrChecksumMismatch) {
		t.Errorf("OpenVerified of a tampered archive = %v", err)
	}
}
