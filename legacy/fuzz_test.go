package legacy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadMeta: any bytes as a .meta give a Meta that passed validation, or an
// error; never a panic.
func FuzzReadMeta(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2025-07-14T10:00:00+00:00","container_name":"app","engine":"postgres","database":null,"file_size":10,"checksum":"` +
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" + `","backup_file":"app-1752451200.sql","compressed":false,"compression_type":null}`))
	f.Add([]byte(`{"algorithm":"aes-256-gcm","original_file":"a-1752451200.sql.gz","original_size":3,"encrypted_size":48,"encrypted_at":"x","key_fingerprint":"0011223344556677"}`))
	f.Add([]byte(`{"file_size":-1,"checksum":"zz"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMeta(bytes.NewReader(data))
		if err == nil && m.validate() != nil {
			t.Fatal("ReadMeta returned a Meta that does not validate")
		}
	})
}

// FuzzOpenEncryptedGzip: any bytes as an encrypted, gzipped archive fail with one
// of the package's errors, or open to exactly what Verify passed.
func FuzzOpenEncryptedGzip(f *testing.F) {
	key, err := ParseKey(EnvKey, "fuzzing key, derived with PBKDF2")
	if err != nil {
		f.Fatal(err)
	}
	var k [keySize]byte = key.bytes
	f.Add(sealBAKT(k, [baktIVSize]byte{}, []byte("not gzip")))
	f.Add([]byte("BAKT\x01\x0baes-256-gcm"))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "app-1752451200.sql.gz.encrypted")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a := Archive{Path: path, Name: "app", Gzip: true, Encrypted: true}
		d, err := Open(context.Background(), a, []Key{key})
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrIncomplete) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer d.Close()
		if _, err := io.Copy(io.Discard, d); err != nil {
			t.Fatalf("opened, then failed: %v", err)
		}
	})
}
