package engines

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestRecorderKeepsHeadAndTail(t *testing.T) {
	for _, size := range []int{0, 10, recordSize - 1, recordSize, recordSize + 1, 3*recordSize + 17, 100_000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rand.IntN(256))
		}
		var r Recorder
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rand.IntN(2*recordSize)) // writes smaller and larger than the buffer
			r.Write(rest[:n])
			rest = rest[n:]
		}
		wantHead := data[:min(size, recordSize)]
		wantTail := data[max(0, size-recordSize):]
		if !bytes.Equal(r.Head(), wantHead) || !bytes.Equal(r.Tail(), wantTail) || r.Len() != int64(size) {
			t.Errorf("size %d: head/tail/len mismatch (len %d)", size, r.Len())
		}
	}
}

func TestPostgresCheckComplete(t *testing.T) {
	head := []byte("--\n-- PostgreSQL database dump\n--\n\\restrict abc\n")
	for _, tc := range []struct {
		name       string
		head, tail []byte
		ok         bool
	}{
		{"pg_dump", head, []byte("...\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n"), true},
		{"cut short", head, []byte("COPY public.t (a) FROM stdin;\n1\n2\n"), false},
		{"not a dump", []byte("hello"), []byte("-- PostgreSQL database dump complete"), false},
		{"empty", nil, nil, false},
	} {
		if err := (Postgres{}).CheckComplete(tc.head, tc.tail); (err == nil) != tc.ok {
			t.Errorf("%s: CheckComplete = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
