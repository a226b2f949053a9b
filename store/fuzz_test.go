package store

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
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

// FuzzRetentionPlan: whatever the archives (in the layout or not, dated anywhere,
// verifying or not), the policy and the free space, the plan never removes the
// newest archive that verifies, nor the archive just committed, nor anything that
// is not in baktainer's layout, and it decides once for every archive.
func FuzzRetentionPlan(f *testing.F) {
	f.Add([]byte{3, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte{1, 7, 2, 1, 1, 1, 12, 200, 9, 9, 9, 1, 0, 255, 3, 4, 5, 0, 0, 1})
	f.Add([]byte{0, 0, 1, 0, 0, 3, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4})
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzBytes(data)
		p := Policy{MaxCount: int(in.next() % 5), MaxAge: time.Duration(in.next()%40) * day,
			KeepDaily: int(in.next() % 4), KeepWeekly: int(in.next() % 3), KeepMonthly: int(in.next() % 3)}
		if in.next()%2 == 1 {
			p.MinFreeBytes = 1 << 62 // never met: only the protections stop the removals
		}
		count := int(in.next() % 24)
		var archives []Archive
		laidOut, verifies := map[string]bool{}, map[string]bool{}
		for i := 0; i < count; i++ {
			a, ok := fuzzArchive(&in, now, i)
			if _, dup := laidOut[a.Path]; dup {
				continue // a directory holds one file of a name
			}
			archives = append(archives, a)
			laidOut[a.Path] = ok
			verifies[a.Path] = in.next()%3 != 0
		}
		facts := Facts{FreeBytes: uint64(in.next()) << 20}
		if len(archives) > 0 && in.next()%2 == 1 {
			facts.JustCommitted = archives[int(in.next())%len(archives)].Path
			verifies[facts.JustCommitted] = true // its writer hashed it as it wrote it
		}
		decisions, err := plan(context.Background(), archives, p, now, facts, nil, func(_ context.Context, a Archive) bool { return verifies[a.Path] })
		if err != nil {
			t.Fatal(err)
		}
		if len(decisions) != len(archives) {
			t.Fatalf("%d decisions for %d archives", len(decisions), len(archives))
		}
		newest := fuzzNewestVerified(archives, laidOut, verifies, now)
		for i, d := range decisions {
			if d.Archive.Path != archives[i].Path {
				t.Fatalf("decision %d is about %s, not %s", i, d.Archive.Path, archives[i].Path)
			}
			if d.Keep {
				continue
			}
			switch {
			case !laidOut[d.Archive.Path]:
				t.Fatalf("the plan removes %s, which is not in the layout (%+v): %s", d.Archive.Path, d.Archive.Meta, d.Reason)
			case d.Archive.Path == newest:
				t.Fatalf("the plan removes the newest archive that verifies, %s: %s", newest, d.Reason)
			case d.Archive.Path == facts.JustCommitted:
				t.Fatalf("the plan removes the archive just committed, %s: %s", d.Archive.Path, d.Reason)
			}
		}
	})
}

// fuzzBytes hands out the fuzzer's bytes, then zeros.
type fuzzBytes []byte

func (b *fuzzBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

// fuzzArchive makes the i-th archive from the input: in the layout, or wrong in one
// of the ways a planted or damaged archive can be. It reports whether it is laid
// out (and dated no later than now allows).
func fuzzArchive(in *fuzzBytes, now time.Time, i int) (Archive, bool) {
	name := []string{"db", "db", "other"}[in.next()%3]
	created := now.Add(-time.Duration(int(in.next())*int(in.next())) * 37 * time.Minute).Add(time.Duration(in.next()) * time.Second)
	meta := Meta{Name: name, Created: created, Size: int64(in.next()) << 20}
	path := archivePath("/b", name, created, ".sql.zst")
	if i%5 == 4 {
		path = strings.TrimSuffix(path, ".sql.zst") + "-1.sql.zst" // the same second twice
	}
	switch in.next() % 10 {
	case 0: // planted in the future, consistently
		meta.Created = now.Add(time.Duration(int(in.next())+1) * time.Hour)
		return Archive{Path: archivePath("/b", name, meta.Created, ".sql.zst"), Meta: meta}, false
	case 1: // metadata of another name
		meta.Name = "intruder"
		return Archive{Path: path, Meta: meta}, false
	case 2: // metadata of another time
		meta.Created = meta.Created.Add(time.Hour)
		return Archive{Path: path, Meta: meta}, false
	case 3: // outside the layout
		return Archive{Path: "/b/" + filepath.Base(path), Meta: meta}, false
	case 4: // a path that climbs
		return Archive{Path: "/b/" + name + "/../" + name + "/" + filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path), Meta: meta}, false
	case 5: // in the wrong date directory
		return Archive{Path: filepath.Join("/b", name, "1999-01-01", filepath.Base(path)), Meta: meta}, false
	}
	return Archive{Path: path, Meta: meta}, !created.After(now.Add(maxFutureSkew))
}

// fuzzNewestVerified is the newest laid-out archive that verifies, by time, then
// path: what Prune must never remove.
// fuzzCommittedLater orders two archives of one second as Commit numbers them
// ("-N" after the timestamp; none is 0), then by path: the oracle's own reading
// of the names, independent of the store's.
func fuzzCommittedLater(a, b Archive) bool {
	index := func(x Archive) int {
		m := fuzzCommitIndex.FindStringSubmatch(filepath.Base(x.Path))
		if m == nil || !strings.HasPrefix(filepath.Base(x.Path), x.Meta.Name+"-") || m[1] == "" {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if ia, ib := index(a), index(b); ia != ib {
		return ia > ib
	}
	return a.Path > b.Path
}

var fuzzCommitIndex = regexp.MustCompile(`-[0-9]{8}T[0-9]{6}Z(?:-([1-9][0-9]{0,2}))?\.`)

func fuzzNewestVerified(archives []Archive, laidOut, verifies map[string]bool, now time.Time) string {
	var best *Archive
	for i := range archives {
		a := &archives[i]
		if !laidOut[a.Path] || !verifies[a.Path] {
			continue
		}
		if best == nil || a.Meta.Created.After(best.Meta.Created) || a.Meta.Created.Equal(best.Meta.Created) && fuzzCommittedLater(*a, *best) {
			best = a
		}
	}
	if best == nil {
		return ""
	}
	return best.Path
}
