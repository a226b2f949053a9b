package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/baktainer/baktainer/bench/sqlgen"
)

// sampleDump is a few KiB of SQL: small enough to flip every byte of its archive.
func sampleDump(t testing.TB, size int64) []byte {
	t.Helper()
	data, err := io.ReadAll(io.LimitReader(sqlgen.Reader(7), size))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFlippingAnyByteFailsVerify flips each byte of small archives in turn: the
// checksum check must fail every time, and with the checksum sidecars forged to
// match, reading back must still fail wherever the format carries its own
// integrity code (age's MACs, zstd's and gzip's checksums).
func TestFlippingAnyByteFailsVerify(t *testing.T) {
	id, enc := testKey(t)
	data := sampleDump(t, 2<<10)
	for _, tc := range []struct {
		name string
		opts Options
		// deepCatchesAll: the format itself detects every flip, even with forged sidecars.
		deepCatchesAll bool
	}{
		{"zstd+age", Options{Compression: Zstd, Encryption: enc}, true},
		{"gzip+age", Options{Compression: Gzip, Encryption: enc}, true},
		{"none+age", Options{Compression: None, Encryption: enc}, true},
		{"zstd", Options{Compression: Zstd}, false},
		{"gzip", Options{Compression: Gzip}, false},
		{"none", Options{Compression: None}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path, _ := writeArchive(t, root, "db", time.Time{}, data, tc.opts)
			original, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for i := range original {
				flipped := bytes.Clone(original)
				flipped[i] ^= 1 << (i % 8)
				if _, err := f.WriteAt(flipped[i:i+1], int64(i)); err != nil {
					t.Fatal(err)
				}
				if _, err := Verify(context.Background(), path); !errors.Is(err, ErrChecksumMismatch) {
					t.Fatalf("byte %d of %d flipped: Verify = %v, want a checksum mismatch", i, len(original), err)
				}
				if _, err := VerifyDeep(context.Background(), path, io.Discard, id); !errors.Is(err, ErrChecksumMismatch) {
					t.Fatalf("byte %d flipped: VerifyDeep = %v, want a checksum mismatch", i, err)
				}
				if tc.deepCatchesAll && readsBack(path, flipped, id) {
					t.Errorf("byte %d flipped: the content still reads back without an error", i)
				}
				if _, err := f.WriteAt(original[i:i+1], int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := VerifyDeep(context.Background(), path, io.Discard, id); err != nil {
				t.Fatalf("the untouched archive fails: %v", err)
			}
			if tc.deepCatchesAll { // end to end, with sidecars forged to match
				middle := bytes.Clone(original)
				middle[len(middle)/2] ^= 0x20
				_ = os.WriteFile(path, middle, 0o600)
				forgeSidecars(t, path, middle)
				if _, err := Verify(context.Background(), path); err != nil {
					t.Fatalf("forged sidecars do not fool Verify: %v", err)
				}
				if _, err := VerifyDeep(context.Background(), path, io.Discard, id); !errors.Is(err, ErrDamaged) {
					t.Errorf("VerifyDeep with forged sidecars = %v, want ErrDamaged", err)
				}
			}
		})
	}
}

// readsBack reports whether content, as the archive at path, decrypts and
// decompresses without an error: what VerifyDeep would find with forged sidecars.
func readsBack(path string, content []byte, ids ...age.Identity) bool {
	r, err := openStream(path, bytes.NewReader(content), ids)
	if err != nil {
		return false
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err == nil
}

// forgeSidecars rewrites path's sidecars to match content, as an attacker with
// write access could.
func forgeSidecars(t *testing.T, path string, content []byte) {
	t.Helper()
	sumFile, metaFile := path+ChecksumExt, path+MetaExt
	meta, err := ReadMetaFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	meta.SHA256 = hex.EncodeToString(sum[:])
	raw, _ := json.Marshal(meta)
	_ = os.WriteFile(metaFile, raw, 0o600)
	_ = os.WriteFile(sumFile, []byte(fmt.Sprintf("%s  %s\n", meta.SHA256, meta.File)), 0o600)
}

func TestWrongKeyErrors(t *testing.T) {
	_, enc := testKey(t)
	other := mustIdentity(t)
	passEnc, _ := PassphraseEncryption("test", "right passphrase")
	wrongPass, _ := PassphraseIdentity("wrong passphrase")
	root := t.TempDir()
	toKey, _ := writeArchive(t, root, "db", time.Time{}, []byte("dump"), Options{Encryption: enc})
	toPass, _ := writeArchive(t, root, "db", time.Time{}, []byte("dump"), Options{Encryption: passEnc})
	for _, tc := range []struct {
		name    string
		path    string
		ids     []age.Identity
		wantIs  error
		wantMsg string
	}{
		{"no key", toKey, nil, ErrNeedKey, "needs an identity file or passphrase"},
		{"another key", toKey, []age.Identity{other}, ErrWrongKey, "none of the 1 identities given matches its recipients (X25519 stanzas)"},
		{"passphrase for a key", toKey, []age.Identity{wrongPass}, ErrWrongKey, "is encrypted to public keys (X25519), not with a passphrase"},
		{"wrong passphrase", toPass, []age.Identity{wrongPass}, ErrWrongKey, "the passphrase is wrong"},
		{"key for a passphrase", toPass, []age.Identity{other}, ErrWrongKey, "is encrypted with a passphrase, not to a public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path, tc.ids...)
			if !errors.Is(err, tc.wantIs) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Open = %v; want %v with %q", err, tc.wantIs, tc.wantMsg)
			}
			if _, err := VerifyDeep(context.Background(), tc.path, io.Discard, tc.ids...); !errors.Is(err, tc.wantIs) {
				t.Errorf("VerifyDeep = %v; want %v", err, tc.wantIs)
			}
			if _, err := Verify(context.Background(), tc.path); err != nil {
				t.Errorf("Verify needs no key but failed: %v", err)
			}
		})
	}
}

func TestVerifyChecksSidecars(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, path string)
		wantMsg string
	}{
		{"checksum sidecar missing", func(t *testing.T, p string) { _ = os.Remove(p + ChecksumExt) }, "open checksum sidecar"},
		{"metadata missing", func(t *testing.T, p string) { _ = os.Remove(p + MetaExt) }, "open metadata"},
		{"checksum sidecar garbled", func(t *testing.T, p string) { _ = os.WriteFile(p+ChecksumExt, []byte("nonsense\n"), 0o600) }, "not in sha256sum format"},
		{"checksum names another file", func(t *testing.T, p string) {
			raw, _ := os.ReadFile(p + ChecksumExt)
			_ = os.WriteFile(p+ChecksumExt, bytes.Replace(raw, []byte(filepath.Base(p)), []byte("other.sql"), 1), 0o600)
		}, `names "other.sql"`},
		{"metadata checksum differs", func(t *testing.T, p string) {
			raw, _ := os.ReadFile(p + MetaExt)
			m, _ := ReadMeta(bytes.NewReader(raw))
			_ = os.WriteFile(p+MetaExt, bytes.Replace(raw, []byte(m.SHA256), []byte(strings.Repeat("0", 64)), 1), 0o600)
		}, "differs from the one in"},
		{"archive truncated", func(t *testing.T, p string) { _ = os.Truncate(p, 10) }, "its metadata says"},
		{"archive grew", func(t *testing.T, p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			_, _ = f.Write([]byte("extra"))
			_ = f.Close()
		}, "its metadata says"},
		{"metadata not json", func(t *testing.T, p string) { _ = os.WriteFile(p+MetaExt, []byte("{"), 0o600) }, "read metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path, _ := writeArchive(t, root, "db", time.Time{}, sampleDump(t, 4<<10), Options{})
			tc.tamper(t, path)
			_, err := Verify(context.Background(), path)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Verify = %v; want an error containing %q", err, tc.wantMsg)
			}
		})
	}
}

func TestVerifyDeepChecksLength(t *testing.T) {
	root := t.TempDir()
	data := sampleDump(t, 4<<10)
	path, _ := writeArchive(t, root, "db", time.Time{}, data, Options{})
	var got bytes.Buffer
	if _, err := VerifyDeep(context.Background(), path, &got, nil...); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("VerifyDeep = %v, %d bytes", err, got.Len())
	}
	// Metadata that claims another dump size is caught, even with a good checksum.
	raw, _ := os.ReadFile(path + MetaExt)
	_ = os.WriteFile(path+MetaExt, bytes.Replace(raw, []byte(fmt.Sprintf(`"dump_size": %d`, len(data))), []byte(`"dump_size": 1`), 1), 0o600)
	if _, err := VerifyDeep(context.Background(), path, io.Discard); !errors.Is(err, ErrDamaged) {
		t.Errorf("VerifyDeep with a wrong dump size = %v", err)
	}
}
