package engines

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestRDBCRCMatchesRedis(t *testing.T) {
	// The check value of CRC-64/Jones as Redis computes it (src/crc64.c's self-test).
	if got := rdbCRC(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("rdbCRC(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	// Streaming in pieces gives the same sum.
	if a, b := rdbCRC(rdbCRC(0, []byte("1234")), []byte("56789")), rdbCRC(0, []byte("123456789")); a != b {
		t.Fatalf("piecewise %#x != whole %#x", a, b)
	}
}

// readRDBSample returns what redis-cli 7.0 wrote to a pipe for `--rdb -`: an RDB file
// followed by the 40-byte end mark of diskless replication.
func readRDBSample(t *testing.T) (stream, file []byte) {
	t.Helper()
	stream, err := os.ReadFile("testdata/redis-7.0-cli-stdout.rdb")
	if err != nil {
		t.Fatal(err)
	}
	return stream, stream[:len(stream)-rdbMarkLen]
}

func passRDB(stream []byte, chunk int) ([]byte, error) {
	var out bytes.Buffer
	s := &rdbStream{w: &out}
	for rest := stream; len(rest) > 0; {
		n := min(chunk, len(rest))
		if _, err := s.Write(rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	err := s.Close()
	return out.Bytes(), err
}

func TestRDBStreamDropsTheReplicationMark(t *testing.T) {
	stream, file := readRDBSample(t)
	for _, chunk := range []int{1, 7, 48, 49, 50, 4096} {
		got, err := passRDB(stream, chunk)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if !bytes.Equal(got, file) {
			t.Fatalf("chunk %d: passed %d bytes, want the %d-byte RDB file", chunk, len(got), len(file))
		}
		// The file alone (as from redis-cli writing to a regular file) passes unchanged.
		if got, err := passRDB(file, chunk); err != nil || !bytes.Equal(got, file) {
			t.Fatalf("chunk %d: the bare file: %d bytes, %v", chunk, len(got), err)
		}
		if err := (Redis{}).CheckComplete(got[:min(len(got), recordSize)], got[max(0, len(got)-recordSize):]); err != nil {
			t.Fatalf("CheckComplete: %v", err)
		}
	}
}

func TestRDBStreamRejectsDamage(t *testing.T) {
	_, file := readRDBSample(t)
	for cut := 0; cut < len(file); cut++ {
		if _, err := passRDB(file[:cut], 16); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("cut at %d of %d: err = %v, want ErrIncomplete", cut, len(file), err)
		}
	}
	for i := range file {
		damaged := bytes.Clone(file)
		damaged[i] ^= 0x20
		if _, err := passRDB(damaged, 16); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("byte %d flipped: err = %v, want ErrIncomplete", i, err)
		}
	}
}
