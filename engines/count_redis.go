package engines

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/baktainer/baktainer/store"
)

// countRedis counts the keys of each database of an RDB file by walking its
// opcodes and skipping every value by its encoded length, without decoding any
// (so a value costs no memory, however large it says it is). Value types this
// walk does not know (the first modules' format, Redis 7.4's hashes with field
// expiry) stop the count, not the backup.
func countRedis() parseFunc {
	return func(r *bufio.Reader) (*store.Contents, error) {
		p := &rdbWalker{r: r}
		return p.walk()
	}
}

// RDB opcodes and value types (Redis' rdb.h).
const (
	rdbOpSlotInfo   = 0xf4
	rdbOpFunction2  = 0xf5
	rdbOpModuleAux  = 0xf7
	rdbOpIdle       = 0xf8
	rdbOpFreq       = 0xf9
	rdbOpAux        = 0xfa
	rdbOpResizeDB   = 0xfb
	rdbOpExpireMS   = 0xfc
	rdbOpExpireSecs = 0xfd
	rdbOpSelectDB   = 0xfe

	rdbTypeModule2    = 7
	rdbTypeStream     = 15
	rdbTypeQuicklist2 = 18
	rdbTypeStreamV2   = 19
	rdbTypeStreamV3   = 21
	rdbEncLZF         = 3
)

type rdbWalker struct {
	r       *bufio.Reader
	err     error
	version int
	dbs     []store.DatabaseContents
	cur     *store.DatabaseContents
}

func (p *rdbWalker) walk() (*store.Contents, error) {
	head := p.bytes(9)
	if p.err != nil || string(head[:5]) != "REDIS" {
		return nil, errors.New("engines: not an RDB file")
	}
	p.version, _ = strconv.Atoi(string(head[5:]))
	expiring := false
	for p.err == nil {
		op := p.byte()
		switch op {
		case rdbEOF:
			p.bytes(rdbSumLen)
			if p.err != nil {
				return nil, p.err
			}
			return &store.Contents{Tool: "RDB version " + strconv.Itoa(p.version), Databases: p.dbs}, nil
		case rdbOpSelectDB:
			p.selectDB(p.length())
		case rdbOpResizeDB:
			p.length()
			p.length()
		case rdbOpSlotInfo:
			p.length()
			p.length()
			p.length()
		case rdbOpAux:
			p.skipString()
			p.skipString()
		case rdbOpFunction2:
			p.skipString()
		case rdbOpModuleAux:
			p.length()
			p.skipModuleValue()
		case rdbOpExpireSecs:
			p.bytes(4)
			expiring = true
		case rdbOpExpireMS:
			p.bytes(8)
			expiring = true
		case rdbOpIdle:
			p.length()
		case rdbOpFreq:
			p.byte()
		default:
			p.keyValue(op, expiring)
			expiring = false
		}
	}
	return nil, p.err
}

func (p *rdbWalker) selectDB(n uint64) {
	name := strconv.FormatUint(n, 10)
	for i := range p.dbs {
		if p.dbs[i].Name == name {
			p.cur = &p.dbs[i]
			return
		}
	}
	p.dbs = append(p.dbs, store.DatabaseContents{Name: name})
	p.cur = &p.dbs[len(p.dbs)-1]
}

func (p *rdbWalker) keyValue(valueType byte, expiring bool) {
	if p.cur == nil {
		p.selectDB(0)
	}
	p.skipString() // the key
	p.skipValue(valueType)
	if p.err == nil {
		p.cur.Keys++
		if expiring {
			p.cur.ExpiringKeys++
		}
	}
}

// skipValue skips one value of the given type.
func (p *rdbWalker) skipValue(t byte) {
	switch {
	case t == 0 || (t >= 9 && t <= 13) || t == 16 || t == 17 || t == 20: // a string, or an encoding stored as one
		p.skipString()
	case t == 1 || t == 2 || t == 14: // list, set, quicklist: strings
		p.skipStrings(p.length())
	case t == 4: // hash: field, value pairs
		p.skipStrings(2 * p.length())
	case t == 3: // zset: member, score as text
		for n := p.length(); n > 0 && p.err == nil; n-- {
			p.skipString()
			if l := p.byte(); l < 253 {
				p.bytes(int(l))
			}
		}
	case t == 5: // zset: member, binary double
		for n := p.length(); n > 0 && p.err == nil; n-- {
			p.skipString()
			p.bytes(8)
		}
	case t == rdbTypeQuicklist2:
		for n := p.length(); n > 0 && p.err == nil; n-- {
			p.length() // the node's container kind
			p.skipString()
		}
	case t == rdbTypeModule2:
		p.length() // the module's ID
		p.skipModuleValue()
	case t == rdbTypeStream || t == rdbTypeStreamV2 || t == rdbTypeStreamV3:
		p.skipStream(t)
	default:
		p.fail(fmt.Errorf("engines: RDB value type %d is not one this walk knows", t))
	}
}

// skipModuleValue skips a module value written with the self-describing opcodes.
func (p *rdbWalker) skipModuleValue() {
	for p.err == nil {
		switch op := p.length(); op {
		case 0: // EOF
			return
		case 1, 2: // signed, unsigned integer
			p.length()
		case 3: // float
			p.bytes(4)
		case 4: // double
			p.bytes(8)
		case 5: // string
			p.skipString()
		default:
			p.fail(fmt.Errorf("engines: RDB module opcode %d", op))
		}
	}
}

func (p *rdbWalker) skipStream(t byte) {
	for n := p.length(); n > 0 && p.err == nil; n-- {
		p.skipString() // the node's key
		p.skipString() // its listpack
	}
	p.lengths(3) // items, last ID
	if t >= rdbTypeStreamV2 {
		p.lengths(5) // first ID, max deleted ID, entries added
	}
	for groups := p.length(); groups > 0 && p.err == nil; groups-- {
		p.skipString()
		p.lengths(2) // last ID
		if t >= rdbTypeStreamV2 {
			p.length() // entries read
		}
		for pel := p.length(); pel > 0 && p.err == nil; pel-- {
			p.bytes(16 + 8) // ID, delivery time
			p.length()      // delivery count
		}
		for consumers := p.length(); consumers > 0 && p.err == nil; consumers-- {
			p.skipString()
			p.bytes(8) // seen time
			if t >= rdbTypeStreamV3 {
				p.bytes(8) // active time
			}
			for pel := p.length(); pel > 0 && p.err == nil; pel-- {
				p.bytes(16)
			}
		}
	}
}

func (p *rdbWalker) skipStrings(n uint64) {
	for ; n > 0 && p.err == nil; n-- {
		p.skipString()
	}
}

func (p *rdbWalker) lengths(n int) {
	for ; n > 0; n-- {
		p.length()
	}
}

// skipString skips a length-prefixed, integer-encoded or LZF-compressed string.
func (p *rdbWalker) skipString() {
	n, special := p.lengthOrEncoding()
	if !special {
		p.discard(n)
		return
	}
	switch n {
	case 0:
		p.bytes(1)
	case 1:
		p.bytes(2)
	case 2:
		p.bytes(4)
	case rdbEncLZF:
		compressed := p.length()
		p.length() // uncompressed length
		p.discard(compressed)
	default:
		p.fail(fmt.Errorf("engines: RDB string encoding %d", n))
	}
}

func (p *rdbWalker) length() uint64 {
	n, special := p.lengthOrEncoding()
	if special {
		p.fail(errors.New("engines: an RDB length is an encoded value"))
	}
	return n
}

// lengthOrEncoding reads RDB's length encoding; special says the value is a string
// encoding type instead.
func (p *rdbWalker) lengthOrEncoding() (uint64, bool) {
	b := p.byte()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(p.byte()), false
	case 2:
		switch b {
		case 0x80:
			return uint64(binary.BigEndian.Uint32(p.bytes(4))), false
		case 0x81:
			return binary.BigEndian.Uint64(p.bytes(8)), false
		}
		p.fail(fmt.Errorf("engines: RDB length prefix %#x", b))
		return 0, false
	}
	return uint64(b & 0x3f), true
}

func (p *rdbWalker) byte() byte {
	if p.err != nil {
		return 0
	}
	b, err := p.r.ReadByte()
	p.fail(err)
	return b
}

// bytes reads n (a few) bytes; zeroes after an error.
func (p *rdbWalker) bytes(n int) []byte {
	buf := make([]byte, n)
	if p.err == nil {
		_, err := io.ReadFull(p.r, buf)
		p.fail(err)
	}
	return buf
}

func (p *rdbWalker) discard(n uint64) {
	if p.err != nil {
		return
	}
	if n > 1<<40 {
		p.fail(fmt.Errorf("engines: an RDB string of %d bytes", n))
		return
	}
	got, err := p.r.Discard(int(n))
	if err == nil && uint64(got) != n {
		err = io.ErrUnexpectedEOF
	}
	p.fail(err)
}

func (p *rdbWalker) fail(err error) {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if p.err == nil && err != nil {
		p.err = err
	}
}
