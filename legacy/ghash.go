package legacy

import "encoding/binary"

// ghash is GCM's universal hash (NIST SP 800-38D, section 6.4), kept here because
// the standard library's AES-GCM only opens a whole message held in memory, and a
// Ruby-era archive is one GCM message as large as the dump. cipher.NewGCM is the
// reference it is tested against (gcm_test.go).
//
// Field elements are held as two big-endian words of the 16-byte block: the first
// bit of the block (the top bit of hi) is the coefficient of x^0, the last (the
// bottom bit of lo) that of x^127. Multiplying by x is then a shift right by one,
// with x^128 folded back as x^7+x^2+x+1 (the byte 0xE1 at the top).
//
// Multiplication by H uses Shoup's method: a table of the 256 products of H with
// the polynomials of degree < 8 (4 KiB), and Horner's rule over the 16 bytes of the
// other factor. Table lookups depend on the data and H: a cache-timing observer on the
// same machine could learn about H. This code only opens archives at rest; it
// never answers requests from others.
type ghash struct {
	products [256]element // products[v] = P_v·H, P_v the byte v read as below
	y        element      // the running hash
	buf      [16]byte     // a partial block
	buffered int
	length   uint64 // bytes hashed
}

type element struct{ hi, lo uint64 }

// reduceX128 is x^128 reduced: x^7 + x^2 + x + 1 in this bit order.
const reduceX128 = 0xE1 << 56

// byteReduction[f] folds back the eight bits a shift by x^8 pushes past x^127: bit 7
// of f was x^120 and becomes x^128, bit 0 was x^127 and becomes x^135.
var byteReduction = func() (t [256]uint64) {
	for f := range t {
		for b := 0; b < 8; b++ {
			if f&(0x80>>b) != 0 {
				t[f] ^= reduceX128 >> b
			}
		}
	}
	return t
}()

func newGHASH(h [16]byte) *ghash {
	g := &ghash{}
	// Byte value v holds eight coefficients: bit 7 for x^0 ... bit 0 for x^7.
	g.products[0x80] = loadElement(h[:])
	for v := 0x40; v > 0; v >>= 1 {
		g.products[v] = g.products[v<<1].timesX()
	}
	for v := 3; v < 256; v++ {
		if v&(v-1) != 0 { // not a power of two: the sum of its bits' products
			low := v & -v
			g.products[v] = g.products[low].xor(g.products[v^low])
		}
	}
	return g
}

func loadElement(b []byte) element {
	return element{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])}
}

func (e element) xor(o element) element { return element{e.hi ^ o.hi, e.lo ^ o.lo} }

func (e element) timesX() element {
	carry := e.lo & 1
	e.lo = e.lo>>1 | e.hi<<63
	e.hi >>= 1
	e.hi ^= reduceX128 & -carry
	return e
}

// timesH returns x·H: Horner's rule over x's bytes, highest degrees first.
func (g *ghash) timesH(x element) element {
	var z element
	for i := 15; i >= 0; i-- { // byte i holds the coefficients of x^(8i) .. x^(8i+7)
		fell := z.lo & 0xff
		z.lo = z.lo>>8 | z.hi<<56
		z.hi = z.hi>>8 ^ byteReduction[fell]
		var v uint64
		if i >= 8 {
			v = x.lo >> (120 - 8*i) & 0xff
		} else {
			v = x.hi >> (56 - 8*i) & 0xff
		}
		z = z.xor(g.products[v])
	}
	return z
}

func (g *ghash) block(b []byte) {
	g.y = g.timesH(g.y.xor(loadElement(b)))
}

// Write hashes ciphertext; blocks are completed across calls.
func (g *ghash) Write(p []byte) (int, error) {
	n := len(p)
	g.length += uint64(n)
	if g.buffered > 0 {
		c := copy(g.buf[g.buffered:], p)
		g.buffered += c
		p = p[c:]
		if g.buffered < 16 {
			return n, nil
		}
		g.block(g.buf[:])
		g.buffered = 0
	}
	for len(p) >= 16 {
		g.block(p[:16])
		p = p[16:]
	}
	g.buffered = copy(g.buf[:], p)
	return n, nil
}

// sum finishes the hash of a message without additional data: the last partial
// block padded with zeros, then the lengths block.
func (g *ghash) sum() [16]byte {
	if g.buffered > 0 {
		clear(g.buf[g.buffered:])
		g.block(g.buf[:])
		g.buffered = 0
	}
	var lengths [16]byte
	binary.BigEndian.PutUint64(lengths[8:], g.length*8)
	g.block(lengths[:])
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], g.y.hi)
	binary.BigEndian.PutUint64(out[8:], g.y.lo)
	return out
}
