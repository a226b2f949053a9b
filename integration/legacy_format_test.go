//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/legacy"
	"github.com/baktainer/baktainer/legacy/legacytest"
)

// TestLegacyFormatWithStockTools checks the Ruby tool's formats, as the fixture
// generator writes them and as legacy reads them, against OpenSSL's command line
// (the library the Ruby tool encrypted with) and gzip:
//
//   - the keys: `openssl kdf PBKDF2` with the Ruby tool's salts and iterations gives
//     the keys legacy derives from a key string and from a passphrase;
//   - the BAKT layout: GCM's ciphertext is AES-CTR from the counter IV||00000002, so
//     `openssl enc -aes-256-ctr` over the bytes between the header and the tag,
//     with the IV read at its documented offset, gives back the gzip file, which
//     `gzip -t` accepts and `gzip -dc` turns into the dump. (openssl enc cannot
//     check a GCM tag; legacy's tag check is compared with Go's crypto/cipher and
//     with vectors made by Python's cryptography package in legacy's unit tests.)
func TestLegacyFormatWithStockTools(t *testing.T) {
	t.Parallel()
	openssl, gzip := rig.Tool(t, "openssl"), rig.Tool(t, "gzip")
	dump := []byte("--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE t (id int);\n" + strings.Repeat("-- padding line\n", 5000) +
		"\n--\n-- PostgreSQL database dump complete\n--\n\n")
	for _, v := range []struct {
		name, variable, value, salt string
	}{
		{"key string", legacy.EnvKey, "correct horse battery staple", "baktainer-default-salt"},
		{"passphrase", legacy.EnvPassphrase, "Grüße aus Köln ✓", "baktainer-backup-encryption-salt"},
	} {
		t.Run(v.name, func(t *testing.T) {
			out := rig.Run(t, nil, openssl, "kdf", "-keylen", "32", "-kdfopt", "digest:SHA256",
				"-kdfopt", "hexpass:"+hex.EncodeToString([]byte(v.value)), "-kdfopt", "salt:"+v.salt, "-kdfopt", "iter:100000", "PBKDF2")
			opensslKey := strings.ReplaceAll(strings.TrimSpace(string(out)), ":", "")

			dir := t.TempDir()
			a, keys := legacyWrite(t, dir, legacyVariant{keyVar: v.variable, keyValue: v.value},
				legacytest.Backup{Name: "app", Engine: "postgres", Time: time.Now(), Dump: dump})
			raw, err := hex.DecodeString(opensslKey)
			if err != nil || len(raw) != 32 {
				t.Fatalf("openssl kdf printed %q", out)
			}
			sum := sha256.Sum256(raw)
			if len(keys) != 1 || keys[0].Fingerprint() != hex.EncodeToString(sum[:8]) || a.Meta.KeyFingerprint != keys[0].Fingerprint() {
				t.Fatalf("legacy's key %v, OpenSSL's key and the fixture's .meta (%s) disagree", keys, a.Meta.KeyFingerprint)
			}
			file, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(file, []byte("BAKT\x01\x0baes-256-gcm")) {
				t.Fatalf("header %q", file[:legacy.BAKTHeaderSize])
			}
			iv := file[legacy.BAKTHeaderSize-12 : legacy.BAKTHeaderSize]
			body := file[legacy.BAKTHeaderSize : len(file)-16]
			gz := rig.Run(t, bytes.NewReader(body), openssl, "enc", "-d", "-aes-256-ctr", "-K", opensslKey, "-iv", hex.EncodeToString(iv)+"00000002")
			rig.Run(t, bytes.NewReader(gz), gzip, "-t")
			if plain := rig.Run(t, bytes.NewReader(gz), gzip, "-dc"); !bytes.Equal(plain, dump) {
				t.Fatalf("openssl enc -aes-256-ctr | gzip -dc gives %d bytes, not the dump", len(plain))
			}
			if int64(len(gz)) != *a.Meta.OriginalSize {
				t.Fatalf("the gzip file is %d bytes, the encryption .meta says %d", len(gz), *a.Meta.OriginalSize)
			}
		})
	}
}
