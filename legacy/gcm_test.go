package legacy

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// sealBAKT writes plain in the Ruby tool's encrypted format with the standard
// library's GCM: the reference the streaming opener is compared with.
func sealBAKT(key [keySize]byte, iv [baktIVSize]byte, plain []byte) []byte {
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	head := append([]byte(baktMagic), baktVersion, byte(len(baktAlgorithm)))
	head = append(append(head, baktAlgorithm...), iv[:]...)
	return gcm.Seal(head, iv[:], plain, nil)
}

// openBAKT opens a BAKT file held in memory with the streaming opener, reading
// through r's quirks.
func openBAKT(key [keySize]byte, file []byte, wrap func(io.Reader) io.Reader) ([]byte, error) {
	r := wrap(bytes.NewReader(file))
	iv, err := readBAKTHeader(r)
	if err != nil {
		return nil, err
	}
	o, err := newGCMOpener(key, iv, r, int64(len(file)-BAKTHeaderSize))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(o)
}

func TestGCMOpenerMatchesTheStandardLibrary(t *testing.T) {
	var key [keySize]byte
	var iv [baktIVSize]byte
	wraps := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
	}
	sizes := []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 4096, 65537}
	for _, n := range sizes {
		_, _ = rand.Read(key[:])
		_, _ = rand.Read(iv[:])
		plain := make([]byte, n)
		_, _ = rand.Read(plain)
		file := sealBAKT(key, iv, plain)
		for name, wrap := range wraps {
			got, err := openBAKT(key, file, wrap)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%d bytes, %s reads: err %v, plain equal %v", n, name, err, bytes.Equal(got, plain))
			}
		}
	}
}

func TestBAKTVectors(t *testing.T) {
	for i, v := range loadVectors(t).BAKT {
		var key [keySize]byte
		copy(key[:], mustHex(v.KeyHex))
		got, err := openBAKT(key, mustHex(v.FileHex), func(r io.Reader) io.Reader { return r })
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		if hex.EncodeToString(got) != v.PlainHex {
			t.Fatalf("vector %d: plain %x, want %s", i, got, v.PlainHex)
		}
	}
}

// TestBAKTEveryFlippedByteFails flips each byte of small encrypted files in turn:
// every one must fail, as damage or as a failed tag, never open.
func TestBAKTEveryFlippedByteFails(t *testing.T) {
	var key [keySize]byte
	_, _ = rand.Read(key[:])
	for _, n := range []int{0, 1, 40} {
		file := sealBAKT(key, [baktIVSize]byte{1, 2, 3}, bytes.Repeat([]byte{'x'}, n))
		for i := range file {
			bad := bytes.Clone(file)
			bad[i] ^= 0x01
			_, err := openBAKT(key, bad, func(r io.Reader) io.Reader { return r })
			if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrDamaged) {
				t.Fatalf("%d-byte plain, byte %d flipped: err %v", n, i, err)
			}
			if i >= BAKTHeaderSize-baktIVSize && !errors.Is(err, ErrAuthentication) {
				t.Fatalf("byte %d (IV, ciphertext or tag) flipped: %v, want ErrAuthentication", i, err)
			}
		}
	}
}

func TestBAKTWrongKeyAndTruncation(t *testing.T) {
	var key, other [keySize]byte
	other[0] = 1
	file := sealBAKT(key, [baktIVSize]byte{}, []byte("some dump"))
	if _, err := openBAKT(other, file, func(r io.Reader) io.Reader { return r }); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong key: %v", err)
	}
	for _, cut := range []int{1, 16, len(file) - BAKTHeaderSize} {
		_, err := openBAKT(key, file[:len(file)-cut], func(r io.Reader) io.Reader { return r })
		if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrDamaged) {
			t.Fatalf("cut %d bytes: %v", cut, err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func([]byte) []byte
		want   string
	}{
		{"magic", func(b []byte) []byte { b[0] = 'C'; return b }, "does not start with BAKT"},
		{"version", func(b []byte) []byte { b[4] = 2; return b }, "version 2"},
		{"algorithm", func(b []byte) []byte { copy(b[6:], "aes-128-gcm"); return b }, `"aes-128-gcm"`},
		{"algorithm length", func(b []byte) []byte { b[5] = 255; return b[:40] }, "too short"},
	} {
		_, err := openBAKT(key, tc.change(bytes.Clone(file)), func(r io.Reader) io.Reader { return r })
		if !errors.Is(err, ErrDamaged) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: %v, want ErrDamaged saying %q", tc.name, err, tc.want)
		}
	}
}

func BenchmarkGCMOpener(b *testing.B) {
	var key [keySize]byte
	plain := make([]byte, 8<<20)
	file := sealBAKT(key, [baktIVSize]byte{}, plain)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := openBAKT(key, file, func(r io.Reader) io.Reader { return r }); err != nil {
			b.Fatal(err)
		}
	}
}
