package legacy

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MetaExt ends the JSON file the Ruby tool wrote beside an archive.
const MetaExt = ".meta"

// maxMetaSize bounds what is read of a .meta: the Ruby tool's are under 1 KiB.
const maxMetaSize = 64 << 10

// Meta is a .meta file. The Ruby tool wrote one of two kinds under the same name:
//
//   - after a backup (backup_orchestrator.rb): the archive's size and SHA-256, and
//     the container, engine and database; the first versions lacked the
//     compression fields;
//   - after encrypting (backup_encryption.rb): the algorithm, the sizes before and
//     after, and the key's fingerprint. The backup's own .meta replaced it when the
//     Ruby tool got that far, which its content check of the encrypted file
//     (reading it as text) normally prevented.
type Meta struct {
	// The backup kind.
	Timestamp       string `json:"timestamp"`
	ContainerName   string `json:"container_name"`
	Engine          string `json:"engine"`
	Database        string `json:"database"`
	FileSize        *int64 `json:"file_size"`
	Checksum        string `json:"checksum"`
	BackupFile      string `json:"backup_file"`
	Compressed      *bool  `json:"compressed"`
	CompressionType string `json:"compression_type"`
	// The encryption kind.
	Algorithm      string `json:"algorithm"`
	OriginalFile   string `json:"original_file"`
	OriginalSize   *int64 `json:"original_size"`
	EncryptedSize  *int64 `json:"encrypted_size"`
	EncryptedAt    string `json:"encrypted_at"`
	KeyFingerprint string `json:"key_fingerprint"`
}

// MetaKind says which of the two .meta files a Meta is.
type MetaKind string

// The kinds of .meta.
const (
	MetaBackup     MetaKind = "backup"
	MetaEncryption MetaKind = "encryption"
)

// Kind tells the two kinds apart by the fields only each has.
func (m Meta) Kind() MetaKind {
	if m.Checksum != "" || m.BackupFile != "" {
		return MetaBackup
	}
	return MetaEncryption
}

// ReadMeta parses a .meta file and checks that it is one of the Ruby tool's two
// kinds, with every field a check relies on well-formed. It reads at most 64 KiB.
func ReadMeta(r io.Reader) (Meta, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMetaSize+1))
	if err != nil {
		return Meta{}, err
	}
	if len(data) > maxMetaSize {
		return Meta{}, errors.New("larger than any .meta the Ruby tool wrote")
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return Meta{}, fmt.Errorf("not the Ruby tool's JSON: %w", err)
	}
	if err := m.validate(); err != nil {
		return Meta{}, err
	}
	return m, nil
}

func (m Meta) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	nonNegative := func(name string, v *int64) {
		if v == nil {
			bad("%s is missing", name)
		} else if *v < 0 {
			bad("%s is negative", name)
		}
	}
	switch m.Kind() {
	case MetaBackup:
		if b, err := hex.DecodeString(m.Checksum); err != nil || len(b) != 32 {
			bad("checksum is not 64 hex digits")
		}
		nonNegative("file_size", m.FileSize)
		if m.BackupFile == "" || strings.ContainsAny(m.BackupFile, "/\x00") {
			bad("backup_file is not a file name")
		}
	default:
		if m.Algorithm == "" {
			return errors.New("neither a backup's .meta (no checksum) nor an encryption's (no algorithm)")
		}
		if m.Algorithm != baktAlgorithm {
			bad("algorithm %.40q is not %s", m.Algorithm, baktAlgorithm)
		}
		nonNegative("original_size", m.OriginalSize)
		nonNegative("encrypted_size", m.EncryptedSize)
		if b, err := hex.DecodeString(m.KeyFingerprint); m.KeyFingerprint != "" && (err != nil || len(b) != 8) {
			bad("key_fingerprint is not 16 hex digits")
		}
	}
	return errors.Join(errs...)
}

// describes checks that m is about the archive named base of size bytes, before
// its content is read.
func (m Meta) describes(base string, size int64) error {
	switch m.Kind() {
	case MetaBackup:
		if m.BackupFile != base {
			return fmt.Errorf("%w: its .meta describes %.80q, not this file", ErrDamaged, m.BackupFile)
		}
		if *m.FileSize != size {
			return fmt.Errorf("%w: %d bytes, its .meta says %d", ErrDamaged, size, *m.FileSize)
		}
		if m.Compressed != nil && *m.Compressed != strings.HasSuffix(base, gzipExt) {
			return fmt.Errorf("%w: its name and its .meta disagree about compression", ErrDamaged)
		}
	case MetaEncryption:
		if !strings.HasSuffix(base, encryptedExt) {
			return fmt.Errorf("%w: its .meta is an encryption record, but the file is not encrypted", ErrDamaged)
		}
		if m.OriginalFile != strings.TrimSuffix(base, encryptedExt) {
			return fmt.Errorf("%w: its .meta says it encrypts %.80q, not %q", ErrDamaged, m.OriginalFile, strings.TrimSuffix(base, encryptedExt))
		}
		if *m.EncryptedSize != size {
			return fmt.Errorf("%w: %d bytes, its .meta says %d", ErrDamaged, size, *m.EncryptedSize)
		}
	}
	return nil
}
