package store

import (
	"fmt"
	"io"
	"runtime"

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

// zstdEncoderOptions trade a little ratio for speed and flat memory (measured in
// docs/BENCHMARKS.md): level 3 like the zstd CLI's default; a 1 MiB window (the CLI
// uses 2 MiB at level 3; on SQL dumps the ratio differs by under 0.2%); and up to
// two goroutines compressing separate 4 MiB sections of the stream at once (the
// window times four). The encoder keeps about seven sections in flight, so memory
// stays near 40 MiB whatever the input size; a 2 MiB window doubles that, 4 MiB
// makes it 130 MiB, for no measurable gain in ratio. Two, not one per core: the
// agent may run several backups at once.
func zstdEncoderOptions() []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithEncoderConcurrency(min(runtime.GOMAXPROCS(0), 2)),
		zstd.WithConcurrentBlocks(true),
	}
}

const (
	zstdWindow = 1 << 20
	// zstdMaxDecoderWindow is the largest window Open accepts: the zstd CLI's own
	// default limit, so anything it opens without --long opens here too.
	zstdMaxDecoderWindow = 1 << 27
)

// compressor wraps w so what is written to it is compressed; Close flushes the
// compressed stream but does not close w.
func (c Compression) compressor(w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Zstd:
		return zstd.NewWriter(w, zstdEncoderOptions()...)
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
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxDecoderWindow))
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
