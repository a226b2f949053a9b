package store

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/version"
)

// Commit assembles the archive's metadata in one place: what it returns is the
// .json on disk field for field; the caller's description passes through; the
// store's own fields say how the archive was written and what was measured
// (the dump as written, the file as stored), each counted once.
func TestCommitAssemblesTheMetadata(t *testing.T) {
	root := t.TempDir()
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	described := Meta{Name: "shop", Container: "shop-db-1", ContainerID: "c0ffee", Engine: "postgres", Database: "shop", Created: created}
	for _, tc := range []struct {
		name  string
		opts  Options
		level Level
	}{
		{"zstd at its default level", Options{Compression: Zstd}, LevelFastest},
		{"gzip at best", Options{Compression: Gzip, Level: LevelBest}, LevelBest},
		{"uncompressed: no level", Options{Compression: None, Level: LevelBest}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Create(root, described, "sql", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			dump := strings.Repeat("INSERT INTO t VALUES (1);\n", 4096)
			if _, err := p.Write([]byte(dump[:1000])); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Write([]byte(dump[1000:])); err != nil {
				t.Fatal(err)
			}
			if p.DumpSize() != int64(len(dump)) {
				t.Errorf("DumpSize() = %d, want %d", p.DumpSize(), len(dump))
			}
			path, meta, err := p.Commit()
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			onDisk, err := ReadMeta(f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(onDisk, meta) {
				t.Errorf("Commit returned\n%+v\nthe .json says\n%+v", meta, onDisk)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			want := described
			want.Format, want.Compression, want.Level = MetaFormat, tc.opts.Compression, tc.level
			want.Encryption = EncryptionTag{Mode: ModeNone}
			want.Size, want.DumpSize, want.SHA256 = fi.Size(), int64(len(dump)), meta.SHA256
			want.DumpDuration, want.Version, want.File = meta.DumpDuration, version.Version, fi.Name()
			if !reflect.DeepEqual(meta, want) {
				t.Errorf("meta =\n%+v\nwant\n%+v", meta, want)
			}
			if meta.DumpDuration <= 0 || len(meta.SHA256) != 64 {
				t.Errorf("duration %v, sha256 %q", meta.DumpDuration, meta.SHA256)
			}
		})
	}
}
