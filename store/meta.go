package store

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MetaFormat is the version of the .json sidecar's layout. Readers accept unknown
// fields, so later versions may add fields without breaking older readers.
const MetaFormat = 1

// Meta describes one archive. It is stored beside it as <archive>.json.
type Meta struct {
	Format       int           `json:"format"`
	Name         string        `json:"name"`      // the backup target's name
	Container    string        `json:"container"` // container name at backup time
	ContainerID  string        `json:"container_id,omitempty"`
	Engine       string        `json:"engine"`
	Database     string        `json:"database,omitempty"`
	Created      time.Time     `json:"created"` // UTC
	Size         int64         `json:"size"`    // bytes of the archive file
	SHA256       string        `json:"sha256"`  // of the archive file, hex
	DumpSize     int64         `json:"dump_size"`
	Compression  Compression   `json:"compression"`
	Level        Level         `json:"compression_level,omitempty"`
	Encryption   EncryptionTag `json:"encryption"`
	DumpDuration float64       `json:"dump_duration_seconds"`
	Version      string        `json:"baktainer_version"`
	File         string        `json:"file"` // the archive's base name
}

// EncryptionTag is the metadata's account of encryption: never key material.
type EncryptionTag struct {
	Mode       string   `json:"mode"` // "none", "x25519", "ssh", "mixed" (x25519 and ssh) or "passphrase"
	Recipients []string `json:"recipients,omitempty"`
}

// Encrypted reports whether the archive is encrypted.
func (m Meta) Encrypted() bool { return m.Encryption.Mode != "" && m.Encryption.Mode != "none" }

// maxMetaSize bounds what ReadMeta accepts: real metadata is well under 4 KiB.
const maxMetaSize = 1 << 20

// ReadMeta parses an archive's .json sidecar and checks that it describes an archive.
func ReadMeta(r io.Reader) (Meta, error) {
	var m Meta
	dec := json.NewDecoder(io.LimitReader(r, maxMetaSize))
	if err := dec.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("store: read metadata: %w", err)
	}
	if err := m.validate(); err != nil {
		return Meta{}, fmt.Errorf("store: read metadata: %w", err)
	}
	return m, nil
}

func (m Meta) validate() error {
	var errs []error
	if m.Format < 1 || m.Format > MetaFormat {
		errs = append(errs, fmt.Errorf("unsupported format %d (this baktainer reads 1 to %d)", m.Format, MetaFormat))
	}
	if err := checkName(m.Name); err != nil {
		errs = append(errs, errors.New("name: "+err.Error()))
	}
	if m.Created.IsZero() {
		errs = append(errs, errors.New("created is missing"))
	}
	if m.Size < 0 || m.DumpSize < 0 {
		errs = append(errs, errors.New("negative size"))
	}
	if b, err := hex.DecodeString(m.SHA256); err != nil || len(b) != 32 {
		errs = append(errs, errors.New("sha256 is not 64 hex digits"))
	}
	if _, err := ParseCompression(string(m.Compression)); err != nil || m.Compression == "" {
		errs = append(errs, fmt.Errorf("unknown compression %q", m.Compression))
	}
	if m.File == "" {
		errs = append(errs, errors.New("file is missing"))
	}
	return errors.Join(errs...)
}
