package store

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// The fuzz targets feed arbitrary bytes to everything that reads what a volume
// holds: archives (Open), archives with their sidecars (Verify, VerifyDeep) and
// metadata (ReadMeta). None may panic, hang or allocate without bound; `make test`
// runs each for a few seconds (`make test-fuzz FUZZTIME=10m` for longer runs).

// fuzzIdentity is a test-only key: seeds are encrypted to it, so the fuzzer starts
// from archives it can decrypt and explores past the age header.
func fuzzIdentity(f *testing.F) *age.X25519Identity {
	f.Helper()
	ids, err := ReadIdentityFile(filepath.Join("testdata", "fuzz-identity.txt"))
	if err != nil {
		f.Fatal(err)
	}
	return ids[0].(*age.X25519Identity)
}

// archiveKinds are the file name endings Open tells formats apart by.
var archiveKinds = []string{".sql.zst", ".sql.gz", ".sql", ".sql.zst.age", ".sql.gz.age", ".sql.age"}

// seedArchives writes one small real archive of every kind and returns their paths.
func seedArchives(f *testing.F, id *age.X25519Identity) []string {
	f.Helper()
	enc, err := RecipientEncryption("fuzz", []string{id.Recipient().String()})
	if err != nil {
		f.Fatal(err)
	}
	root := f.TempDir()
	var paths []string
	for _, comp := range []Compression{Zstd, Gzip, None} {
		for _, e := range []Encryption{{}, enc} {
			// Each kind in its own root, all with one name (FuzzVerify relies on it).
			p, err := Create(filepath.Join(root, strconv.Itoa(len(paths))), Meta{Name: "db", Engine: "postgres", Created: time.Unix(0, 0)}, "sql", Options{Compression: comp, Encryption: e})
			if err != nil {
				f.Fatal(err)
			}
			_, _ = p.Write([]byte("--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n1\n2\n\\.\n-- PostgreSQL database dump complete\n"))
			path, _, err := p.Commit()
			if err != nil {
				f.Fatal(err)
			}
			paths = append(paths, path)
		}
	}
	return paths
}

// maxFuzzOutput bounds how much a fuzzed archive may expand to before the target
// stops reading: decompression bombs are the decoders' business, not a bug.
const maxFuzzOutput = 8 << 20

func FuzzOpen(f *testing.F) {
	id := fuzzIdentity(f)
	for _, p := range seedArchives(f, id) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for kind, ext := range archiveKinds {
			if bytes.HasSuffix([]byte(p), []byte(ext)) {
				f.Add(data, uint8(kind))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		name := "db-20260101T000000Z" + archiveKinds[int(kind)%len(archiveKinds)]
		r, err := openStream(name, bytes.NewReader(data), []age.Identity{id})
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(r, maxFuzzOutput))
		_ = r.Close()
	})
}

func FuzzVerify(f *testing.F) {
	id := fuzzIdentity(f)
	for _, p := range seedArchives(f, id) {
		data, _ := os.ReadFile(p)
		sum, _ := os.ReadFile(p + ChecksumExt)
		meta, _ := os.ReadFile(p + MetaExt)
		for kind, ext := range archiveKinds {
			if strings.HasSuffix(p, ext) {
				f.Add(uint8(kind), data, sum, meta)
			}
		}
	}
	dir := f.TempDir() // one per worker process: each exec rewrites the same files
	f.Fuzz(func(t *testing.T, kind uint8, data, sum, meta []byte) {
		// The seeds' name, so that their sidecars, which name it, match.
		path := filepath.Join(dir, "db-19700101T000000Z"+archiveKinds[int(kind)%len(archiveKinds)])
		for file, content := range map[string][]byte{path: data, path + ChecksumExt: sum, path + MetaExt: meta} {
			if err := os.WriteFile(file, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		m1, err1 := Verify(context.Background(), path)
		var out limitedDiscard
		m2, err2 := VerifyDeep(context.Background(), path, &out, id)
		if err2 == nil && err1 != nil {
			t.Fatalf("VerifyDeep passed what Verify rejects: %v", err1)
		}
		if err2 == nil && (m2.DumpSize != out.n || m1.SHA256 != m2.SHA256) {
			t.Fatalf("VerifyDeep passed %d bytes, metadata %+v", out.n, m2)
		}
	})
}

// limitedDiscard counts what it is given and refuses more than maxFuzzOutput.
type limitedDiscard struct{ n int64 }

func (l *limitedDiscard) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > maxFuzzOutput {
		return 0, io.ErrShortWrite
	}
	l.n += int64(len(p))
	return len(p), nil
}

func FuzzReadMeta(f *testing.F) {
	id := fuzzIdentity(f)
	for _, p := range seedArchives(f, id) {
		meta, _ := os.ReadFile(p + MetaExt)
		f.Add(meta)
	}
	f.Add([]byte(`{"format": 2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMeta(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What was accepted survives a round trip unchanged.
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted metadata does not marshal: %v", err)
		}
		again, err := ReadMeta(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("metadata accepted once is rejected after a round trip: %v\n%s", err, raw)
		}
		raw2, _ := json.Marshal(again)
		if !bytes.Equal(raw, raw2) {
			t.Fatalf("round trip changed the metadata:\n%s\n%s", raw, raw2)
		}
	})
}
