package legacy

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
)

// pinChunk is the unit in which a verified archive is pinned: the verifying pass
// records the SHA-256 of every pinChunk bytes of the file, and the reading pass
// passes a chunk on only when its bytes hash the same. 32 bytes of memory per MiB
// of archive (32 KiB per GiB), plus one chunk's buffer.
const pinChunk = 1 << 20

// pinner records, as bytes are read through it, the SHA-256 of the whole and of
// each chunk.
type pinner struct {
	r       io.Reader
	whole   hash.Hash
	chunk   hash.Hash
	inChunk int
	pins    [][sha256.Size]byte
	n       int64
}

func newPinner(r io.Reader) *pinner {
	return &pinner{r: r, whole: sha256.New(), chunk: sha256.New()}
}

func (p *pinner) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.whole.Write(b[:n])
	for rest := b[:n]; len(rest) > 0; {
		k := min(len(rest), pinChunk-p.inChunk)
		p.chunk.Write(rest[:k])
		p.inChunk += k
		rest = rest[k:]
		if p.inChunk == pinChunk {
			p.seal()
		}
	}
	return n, err
}

func (p *pinner) seal() {
	var sum [sha256.Size]byte
	p.chunk.Sum(sum[:0])
	p.pins = append(p.pins, sum)
	p.chunk.Reset()
	p.inChunk = 0
}

// finish records the last, short chunk and returns the pins.
func (p *pinner) finish() [][sha256.Size]byte {
	if p.inChunk > 0 {
		p.seal()
	}
	return p.pins
}

// pinnedReader reads a file again and returns its bytes a chunk at a time, each
// only after it hashed to the pin the verifying pass recorded: what it returns is
// exactly what was verified, or ErrChanged.
type pinnedReader struct {
	r       io.Reader
	pins    [][sha256.Size]byte
	next    int
	buf     []byte
	pending []byte
	err     error
}

func newPinnedReader(r io.Reader, pins [][sha256.Size]byte) *pinnedReader {
	return &pinnedReader{r: r, pins: pins, buf: make([]byte, pinChunk)}
}

func (p *pinnedReader) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if p.err = p.fill(); len(p.pending) == 0 {
			return 0, p.err
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

// fill reads the next chunk into pending when it matches its pin; it returns
// io.EOF after the last chunk.
func (p *pinnedReader) fill() error {
	n, err := io.ReadFull(p.r, p.buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		err = io.EOF
	case err != nil:
		return err
	}
	if n == 0 {
		if p.next != len(p.pins) {
			return fmt.Errorf("%w: it is shorter than when it was verified", ErrChanged)
		}
		return io.EOF
	}
	if p.next >= len(p.pins) || sha256.Sum256(p.buf[:n]) != p.pins[p.next] {
		return fmt.Errorf("%w: bytes %d to %d differ from those verified", ErrChanged, int64(p.next)*pinChunk, int64(p.next)*pinChunk+int64(n))
	}
	p.next++
	p.pending = p.buf[:n]
	if err == io.EOF && p.next != len(p.pins) {
		p.pending = nil
		return fmt.Errorf("%w: it is shorter than when it was verified", ErrChanged)
	}
	return err
}
