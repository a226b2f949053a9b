package sqlgen

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func read(t *testing.T, seed uint64, n int64) []byte {
	t.Helper()
	b, err := io.ReadAll(io.LimitReader(Reader(seed), n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministic(t *testing.T) {
	if !bytes.Equal(read(t, 1, 1<<20), read(t, 1, 1<<20)) {
		t.Error("the same seed gave different bytes")
	}
	if bytes.Equal(read(t, 1, 1<<20), read(t, 2, 1<<20)) {
		t.Error("different seeds gave the same bytes")
	}
}

// TestCompressesLikeADump keeps the generator honest: a real pg_dump shrinks
// about 3 to 6 times with zstd -3; random bytes do not shrink, one repeated line
// shrinks a thousand times.
func TestCompressesLikeADump(t *testing.T) {
	data := read(t, 1, 8<<20)
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	ratio := float64(len(data)) / float64(len(enc.EncodeAll(data, nil)))
	if ratio < 2 || ratio > 8 {
		t.Errorf("zstd ratio %.2f, want a dump-like 2 to 8", ratio)
	}
	for _, want := range []string{"COPY public.customers", "INSERT INTO public.events", "\\.\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %q in the output", want)
		}
	}
}
