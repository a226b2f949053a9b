package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// DecodeStream returns the dump of an archive whose bytes, as stored, come from
// src (an off-host copy streaming from its bucket: no local file, no staging),
// decrypting with identities when name ends in .age and decompressing as name's
// extensions say. name is the archive's file name; dumpSize its metadata's.
//
// src must check its own bytes (offsite.ArchiveReader hashes them and fails its
// last read when they differ from the copy's SHA-256): when the decoder has
// read all it needs, the rest of src is read to its end, so that check runs
// before the dump's end is reported. The reader returns io.EOF only when src
// ended cleanly and the dump has dumpSize bytes; otherwise src's error, or one
// wrapping ErrDamaged, so a restore that commits only at a clean end rolls back.
func DecodeStream(ctx context.Context, name string, src io.Reader, dumpSize int64, identities ...age.Identity) (io.ReadCloser, error) {
	dec, err := openStream(name, ctxReader{ctx, src}, identities)
	if err != nil {
		return nil, err
	}
	return &streamReader{ctx: ctx, name: name, src: src, dec: dec, want: dumpSize}, nil
}

// streamReader is DecodeStream's reader.
type streamReader struct {
	ctx  context.Context
	name string
	src  io.Reader
	dec  io.ReadCloser
	want int64
	n    int64
	err  error // sticky: io.EOF or the failure
}

func (s *streamReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.dec.Read(p)
	s.n += int64(n)
	if err != nil {
		s.err = s.end(err)
	}
	return n, s.err
}

// end decides what the end of the decoded stream means: src is read to its end
// first (its own check of the bytes runs there), then the dump's length.
func (s *streamReader) end(decodeErr error) error {
	if _, err := io.CopyBuffer(io.Discard, ctxReader{s.ctx, s.src}, make([]byte, writeBufferSize)); err != nil {
		return fmt.Errorf("store: read %s: %w", s.name, err)
	}
	if decodeErr != io.EOF {
		return decodeErr
	}
	if s.n != s.want {
		return fmt.Errorf("%w: %s holds %d dump bytes, its metadata says %d", ErrDamaged, s.name, s.n, s.want)
	}
	return io.EOF
}

// Close ends the decoding; src is the caller's to close.
func (s *streamReader) Close() error {
	err := s.dec.Close()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
