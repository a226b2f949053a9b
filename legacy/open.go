package legacy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Dump is the plain dump of a verified archive, read from the file a second time.
type Dump struct {
	// Report is what verifying the archive established.
	Report Report
	r      io.Reader
	layers layers
	f      *os.File
	path   string
	n      int64
}

// Open verifies the archive (Verify: a first pass that reads the whole file and
// keeps nothing), then returns its plain dump, read from the same open file again.
//
// GCM authenticates only at the end of its one message, and a Ruby-era archive is
// one message as large as the dump, so nothing read on the way can be trusted
// until the end. Holding the whole file in memory would cost its size; instead the
// first pass records the SHA-256 of every MiB of the file, and the second pass
// passes a MiB on only when it hashes the same: every byte Open's reader returns
// was authenticated, and a file changed in between fails with ErrChanged before
// any changed byte is released. The cost is reading the file twice, 32 bytes of
// memory per MiB of archive and one MiB of buffer.
func Open(ctx context.Context, a Archive, keys []Key) (*Dump, error) {
	f, size, err := openForReading(a)
	if err != nil {
		return nil, err
	}
	rep, pins, err := verifyOpen(ctx, a, f, size, keys, nil)
	if err != nil {
		f.Close()
		return nil, err
	}
	raw := newPinnedReader(io.NewSectionReader(f, 0, size), pins)
	plain, l, err := decode(raw, size, a, rep.Key)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", a.Path, errors.Join(err, raw.err))
	}
	return &Dump{Report: rep, r: ctxReader{ctx, plain}, layers: l, f: f, path: a.Path}, nil
}

// Read returns the dump's bytes: only bytes that were verified, else an error.
func (d *Dump) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.n += int64(n)
	if err == io.EOF && d.n != d.Report.DumpSize {
		err = fmt.Errorf("%s: %w: %d dump bytes, %d when verified", d.path, ErrChanged, d.n, d.Report.DumpSize)
	} else if err != nil && err != io.EOF && !errors.Is(err, ErrChanged) {
		err = fmt.Errorf("%s: %w", d.path, d.layers.firstError(err))
	}
	return n, err
}

// Close closes the file.
func (d *Dump) Close() error { return d.f.Close() }
