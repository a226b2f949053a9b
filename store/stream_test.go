package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// endChecker stands in for an off-host copy's reader: it fails its last read
// (with failAtEnd) the way a checksum mismatch does, and records whether it
// was read to its end.
type endChecker struct {
	r         io.Reader
	failAtEnd error
	ended     bool
}

func (e *endChecker) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.ended = true
		if e.failAtEnd != nil {
			return n, e.failAtEnd
		}
	}
	return n, err
}

// DecodeStream turns an archive's stored bytes back into its dump, every
// compression and encryption, reading its source to the end; a source whose
// end fails, a dump of another length or trailing bytes never end in io.EOF.
func TestDecodeStream(t *testing.T) {
	id, enc := testKey(t)
	data := sampleDump(t, 1<<20)
	for _, opts := range []Options{{Compression: None}, {Compression: Zstd}, {Compression: Gzip}, {Compression: Zstd, Encryption: enc}} {
		t.Run(string(opts.Compression)+opts.Encryption.Extension(), func(t *testing.T) {
			path, meta := writeArchive(t, t.TempDir(), "db", time.Time{}, data, opts)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			decode := func(src io.Reader, size int64) ([]byte, error) {
				r, err := DecodeStream(context.Background(), filepath.Base(path), src, size, id)
				if err != nil {
					return nil, err
				}
				defer r.Close()
				return io.ReadAll(r)
			}
			src := &endChecker{r: bytes.NewReader(raw)}
			got, err := decode(src, meta.DumpSize)
			if err != nil || !bytes.Equal(got, data) || !src.ended {
				t.Fatalf("round trip: %v, %d of %d bytes, source read to its end: %v", err, len(got), len(data), src.ended)
			}
			mismatch := errors.New("offsite: checksum mismatch")
			if _, err := decode(&endChecker{r: bytes.NewReader(raw), failAtEnd: mismatch}, meta.DumpSize); !errors.Is(err, mismatch) {
				t.Errorf("a source that fails at its end: %v", err)
			}
			if _, err := decode(bytes.NewReader(raw), meta.DumpSize+1); !errors.Is(err, ErrDamaged) {
				t.Errorf("another dump length: %v", err)
			}
			trailing := &endChecker{r: io.MultiReader(bytes.NewReader(raw), bytes.NewReader([]byte("garbage"))), failAtEnd: mismatch}
			if _, err := decode(trailing, meta.DumpSize); !errors.Is(err, mismatch) || !trailing.ended {
				t.Errorf("trailing bytes are read (and the source's check fails on them): %v", err)
			}
		})
	}
}
