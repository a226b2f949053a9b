package store

import (
	"errors"
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

// Level is how hard the compressor works: fastest (zstd's level 1, gzip -1), default
// (zstd -3, gzip -6), better (zstd about -7) or best (zstd about -11, gzip -9).
type Level string

// The levels; the empty Level means LevelFastest.
const (
	LevelFastest Level = "fastest"
	LevelDefault Level = "default"
	LevelBetter  Level = "better"
	LevelBest    Level = "best"
)

// ParseLevel accepts fastest, default, better or best; the empty string means fastest.
func ParseLevel(s string) (Level, error) {
	switch Level(s) {
	case "", LevelFastest:
		return LevelFastest, nil
	case LevelDefault, LevelBetter, LevelBest:
		return Level(s), nil
	}
	return "", fmt.Errorf("store: unknown compression level %q (want fastest, default, better or best)", s)
}

func (l Level) zstd() zstd.EncoderLevel {
	switch l {
	case LevelDefault:
		return zstd.SpeedDefault
	case LevelBetter:
		return zstd.SpeedBetterCompression
	case LevelBest:
		return zstd.SpeedBestCompression
	}
	return zstd.SpeedFastest
}

func (l Level) gzip() int {
	switch l {
	case LevelDefault:
		return gzip.DefaultCompression
	case LevelBetter, LevelBest:
		return gzip.BestCompression
	}
	return gzip.BestSpeed
}

// zstdEncoderOptions trade a little ratio for speed and flat memory (measured in
// docs/BENCHMARKS.md). The level defaults to fastest, zstd's level 1: on a dump it
// compresses about 4% less than the CLI's default -3, at twice the speed, which
// keeps a backup's CPU cost small next to the dump itself. A 512 KiB window (the
// CLI uses 2 MiB at level 3; on SQL dumps the ratio differs by under 0.1% at
// fastest and default, 1% at better); and up to two goroutines compressing
// separate 2 MiB sections of the stream at once (the window times four). The
// encoder keeps about seven sections in flight (input and output), so memory
// follows the window: the pipeline holds about 20 MiB whatever the input size,
// 35 MiB with a 1 MiB window, for the same CPU time; 256 KiB holds 13 MiB but
// costs 5% more CPU. Two, not one per core: the agent may run several backups
// at once, each under its share of the agent's memory limit (agent/memlimit.go).
func zstdEncoderOptions(l Level) []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderLevel(l.zstd()),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithEncoderConcurrency(min(runtime.GOMAXPROCS(0), 2)),
		zstd.WithConcurrentBlocks(true),
	}
}

const (
	zstdWindow = 512 << 10
	// zstdMaxDecoderWindow is the largest window Open accepts: the zstd CLI's own
	// default limit, so anything it opens without --long opens here too.
	zstdMaxDecoderWindow = 1 << 27
)

// compressor wraps w so what is written to it is compressed; Close flushes the
// compressed stream but does not close w.
func (c Compression) compressor(w io.Writer, l Level) (io.WriteCloser, error) {
	switch c {
	case Zstd:
		return zstd.NewWriter(w, zstdEncoderOptions(l)...)
	case Gzip:
		return gzip.NewWriterLevel(w, l.gzip())
	case None:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("store: unknown compression %q", c)
}

// decompressor reads the decompressed form of r. Close releases its resources.
func (c Compression) decompressor(r io.Reader) (io.ReadCloser, error) {
	switch c {
	case Zstd:
		src := &countingReader{r: r}
		d, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxDecoderWindow))
		if err != nil {
			return nil, fmt.Errorf("store: open zstd stream: %w", err)
		}
		return nonEmptyReader{ReadCloser: d.IOReadCloser(), src: src}, nil
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

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// nonEmptyReader fails a zstd stream that ends before a single byte of it was
// read: the zstd decoder takes an empty input for an empty stream, the zstd CLI
// (and baktainer, which never writes one) for a damaged file.
type nonEmptyReader struct {
	io.ReadCloser
	src *countingReader
}

func (r nonEmptyReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err == io.EOF && r.src.n == 0 {
		return n, errors.New("empty zstd stream: no frame at all")
	}
	return n, err
}
