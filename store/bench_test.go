package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/bench/sqlgen"
)

// benchInput is SQL dump text, generated once per process (see bench/sqlgen).
var benchInput []byte

func input(b *testing.B) []byte {
	if benchInput == nil {
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, sqlgen.Reader(1), 64<<20); err != nil {
			b.Fatal(err)
		}
		benchInput = buf.Bytes()
	}
	return benchInput
}

// BenchmarkPipeline measures the whole write path: compress, encrypt, hash, write,
// fsync, sidecars, rename. Its MB/s is of dump bytes in.
func BenchmarkPipeline(b *testing.B) {
	data := input(b)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := RecipientEncryption("bench", []string{id.Recipient().String()})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"zstd+age", Options{Compression: Zstd, Encryption: enc}},
		{"zstd", Options{Compression: Zstd}},
		{"gzip+age", Options{Compression: Gzip, Encryption: enc}},
		{"none+age", Options{Compression: None, Encryption: enc}},
		{"none+age+floor", Options{Compression: None, Encryption: enc, MinFreeBytes: 1}}, // the floor's checks cost
	} {
		b.Run(bc.name, func(b *testing.B) {
			root := b.TempDir()
			b.SetBytes(int64(len(data)))
			var ratio float64
			for i := 0; b.Loop(); i++ {
				p, err := Create(root, Meta{Name: "bench", Created: time.Unix(int64(i), 0)}, "sql", bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				// Writes of 1 MiB, as `archive pack` reads its input.
				for off := 0; off < len(data); off += 1 << 20 {
					if _, err := p.Write(data[off:min(off+1<<20, len(data))]); err != nil {
						b.Fatal(err)
					}
				}
				path, meta, err := p.Commit()
				if err != nil {
					b.Fatal(err)
				}
				ratio = float64(len(data)) / float64(meta.Size)
				b.StopTimer()
				_ = removeArchive(root, Archive{Path: path, Meta: meta})
				b.StartTimer()
			}
			b.ReportMetric(ratio, "ratio")
		})
	}
}

// BenchmarkVerifyDeep measures reading an archive back: hash, decrypt, decompress.
func BenchmarkVerifyDeep(b *testing.B) {
	data := input(b)
	id, _ := age.GenerateX25519Identity()
	enc, _ := RecipientEncryption("bench", []string{id.Recipient().String()})
	path, _ := writeArchive(b, b.TempDir(), "bench", time.Time{}, data, Options{Compression: Zstd, Encryption: enc})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := VerifyDeep(context.Background(), path, io.Discard, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures the checksum-only check prune runs.
func BenchmarkVerify(b *testing.B) {
	data := input(b)
	path, meta := writeArchive(b, b.TempDir(), "bench", time.Time{}, data, Options{Compression: None})
	b.SetBytes(meta.Size)
	for b.Loop() {
		if _, err := Verify(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
	_ = os.Remove(path)
}

// BenchmarkPipelineHeld measures what the write pipeline holds while a dump
// streams through it (zstd fastest + age, 32 KiB writes as docker exec hands
// them over): the live heap after a collection half way through, which is
// what the agent's soft memory limit must leave room for per backup
// (agent/memlimit.go).
func BenchmarkPipelineHeld(b *testing.B) {
	data := input(b)
	id, _ := age.GenerateX25519Identity()
	enc, _ := RecipientEncryption("bench", []string{id.Recipient().String()})
	root := b.TempDir()
	b.SetBytes(int64(len(data)))
	var held uint64
	for i := 0; b.Loop(); i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := Create(root, Meta{Name: "bench", Created: time.Unix(int64(i), 0)}, "sql", Options{Compression: Zstd, Encryption: enc})
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += 32 << 10 {
			if _, err := p.Write(data[off:min(off+32<<10, len(data))]); err != nil {
				b.Fatal(err)
			}
			if off == len(data)/2 {
				runtime.GC()
				var during runtime.MemStats
				runtime.ReadMemStats(&during)
				held = max(held, during.HeapAlloc-min(before.HeapAlloc, during.HeapAlloc))
			}
		}
		path, meta, err := p.Commit()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = removeArchive(root, Archive{Path: path, Meta: meta})
		b.StartTimer()
	}
	b.ReportMetric(float64(held)/(1<<20), "held-MiB")
}
