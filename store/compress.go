package store

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is an archive's compression format. Every one opens with the stock
// tool of its name (zstd -d, gzip -d).
type Compression string

// The compressions baktainer writes.
const (
	Zstd Compression = "zstd"
	Gzip Compression = "gzip"
	None Compression = "none"
)

// ParseCompression accepts zstd, gzip or none; the empty string means zstd.
func ParseCompression(s string) (Compression, error) {
	switch Compression(s) {
	case "", Zstd:
		return Zstd, nil
	case Gzip, None:
		return Compression(s), nil
	}
	return "", fmt.Errorf("store: unknown compression %q (want zstd, gzip or none)", s)
}

// Extension returns the file extension the compression adds, with its dot.
func (c Compression) Extension() string {
	switch c {
	case Zstd:
		return ".zst"
	case Gzip:
		return ".gz"
	}
	return ""
}

// compressor wraps w so what is written to it is compressed; Close flushes the
// compressed stream but does not close w.
func (c Compression) compressor(w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Zstd:
		// Level 3 (the zstd CLI's default) with two encoder goroutines: fast, and
		// memory stays a few window sizes whatever the input size.
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2))
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case None:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("store: unknown compression %q", c)
}

// decompressor reads the decompressed form of r. Close releases its resources.
func (c Compression) decompressor(r io.Reader) (io.ReadCloser, error) {
	switch c {
	case Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, fmt.Errorf("store: open zstd stream: %w", err)
		}
		return d.IOReadCloser(), nil
	case Gzip:
		g, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("store: open gzip stream: %w", err)
		}
		return g, nil
	case None:
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("store: unknown compression %q", c)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
