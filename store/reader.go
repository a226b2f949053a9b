package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// ErrChecksumMismatch means an archive's bytes differ from its recorded SHA-256.
var ErrChecksumMismatch = errors.New("store: checksum mismatch")

// VerifyChecksum recomputes path's SHA-256 and compares it with its .sha256 sidecar.
func VerifyChecksum(path string) error {
	want, err := readChecksum(path + ChecksumExt)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, its sidecar says %s", ErrChecksumMismatch, path, got, want)
	}
	return nil
}

// readChecksum parses a one-line sha256sum file.
func readChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("store: open checksum sidecar: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("store: read %s: %w", path, err)
	}
	sum, _, ok := strings.Cut(strings.TrimSpace(line), " ")
	if _, decErr := hex.DecodeString(sum); !ok || decErr != nil || len(sum) != sha256.Size*2 {
		return "", fmt.Errorf("store: %s is not in sha256sum format", path)
	}
	return strings.ToLower(sum), nil
}

// Open returns the original dump bytes of the archive at path, decrypting with
// identities when it ends in .age and decompressing according to its extension.
// It does not verify the checksum: call VerifyChecksum first when that matters.
func Open(path string, identities ...age.Identity) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open archive: %w", err)
	}
	var r io.Reader = bufio.NewReaderSize(f, writeBufferSize)
	name := filepath.Base(path)
	if strings.HasSuffix(name, ".age") {
		if len(identities) == 0 {
			f.Close()
			return nil, fmt.Errorf("store: %s is encrypted: an identity (or passphrase) is needed", path)
		}
		if r, err = age.Decrypt(r, identities...); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: decrypt %s: %w", path, err)
		}
		name = strings.TrimSuffix(name, ".age")
	}
	comp := None
	switch {
	case strings.HasSuffix(name, Zstd.Extension()):
		comp = Zstd
	case strings.HasSuffix(name, Gzip.Extension()):
		comp = Gzip
	}
	d, err := comp.decompressor(r)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return readCloser{Reader: d, close: func() error { return errors.Join(d.Close(), f.Close()) }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
