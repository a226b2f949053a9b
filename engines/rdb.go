package engines

import (
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"io"
)

// Redis checksums its RDB files with CRC-64/Jones (reflected, no initial or final
// inversion), stored little-endian in the last 8 bytes, after the EOF opcode 0xFF.
// hash/crc64 takes the reversed polynomial and inverts before and after, which
// rdbCRC undoes.
var rdbTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

func rdbCRC(crc uint64, p []byte) uint64 { return ^crc64.Update(^crc, rdbTable, p) }

const (
	rdbEOF      = 0xff
	rdbSumLen   = 8
	rdbMarkLen  = 40 // the end-of-file mark of a diskless replication stream
	rdbHoldBack = 1 + rdbSumLen + rdbMarkLen
)

// rdbMagic starts every RDB file, followed by a 4-digit format version.
var rdbMagic = []byte("REDIS")

// rdbStream passes an RDB file to w while checking it: the magic, the EOF opcode and
// the CRC-64 it ends with. It holds back the last few bytes until Close, because
// redis-cli (7.0 at least) writing to a pipe leaves the 40-byte end mark of
// diskless replication after the file (it truncates the mark away only from a
// regular file): Close drops such a mark, so w receives the RDB file alone.
type rdbStream struct {
	w       io.Writer
	crc     uint64 // of everything already written to w
	held    []byte // the stream's last bytes, not yet written
	written int64
	head    []byte // the first bytes, for the magic
}

// Write implements io.Writer.
func (s *rdbStream) Write(p []byte) (int, error) {
	if need := len(rdbMagic) + 4 - len(s.head); need > 0 {
		s.head = append(s.head, p[:min(need, len(p))]...)
	}
	s.held = append(s.held, p...)
	if excess := len(s.held) - rdbHoldBack; excess > 0 {
		if err := s.emit(s.held[:excess]); err != nil {
			return 0, err
		}
		s.held = append(s.held[:0], s.held[excess:]...)
	}
	return len(p), nil
}

func (s *rdbStream) emit(p []byte) error {
	n, err := s.w.Write(p)
	s.crc = rdbCRC(s.crc, p[:n])
	s.written += int64(n)
	return err
}

// Close checks the end of the stream, writes what it held back (less a replication
// end mark), and returns an error wrapping ErrIncomplete when the stream is not a
// whole RDB file.
func (s *rdbStream) Close() error {
	if len(s.head) < len(rdbMagic)+4 || string(s.head[:len(rdbMagic)]) != string(rdbMagic) {
		return fmt.Errorf("%w: does not start with the REDIS magic", ErrIncomplete)
	}
	for _, mark := range []int{0, rdbMarkLen} {
		end := len(s.held) - mark // the RDB file would end here
		if end < 1+rdbSumLen || s.held[end-rdbSumLen-1] != rdbEOF || (mark > 0 && !isMark(s.held[end:])) {
			continue
		}
		crc := rdbCRC(s.crc, s.held[:end-rdbSumLen])
		stored := binary.LittleEndian.Uint64(s.held[end-rdbSumLen : end])
		if stored != 0 && stored != crc { // 0: written with rdbchecksum no
			continue
		}
		return s.emit(s.held[:end])
	}
	return fmt.Errorf("%w: %d bytes that do not end with the RDB EOF opcode and a matching CRC-64 (cut short?)",
		ErrIncomplete, s.written+int64(len(s.held)))
}

// isMark reports whether b looks like a replication end mark: 40 hex digits.
func isMark(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(b) == rdbMarkLen
}
