package store

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Meta describes one archive. It is stored beside it as <archive>.json.
type Meta struct {
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
	Encryption   EncryptionTag `json:"encryption"`
	DumpDuration float64       `json:"dump_duration_seconds"`
	Version      string        `json:"baktainer_version"`
	File         string        `json:"file"` // the archive's base name
}

// EncryptionTag is the metadata's account of encryption: never key material.
type EncryptionTag struct {
	Mode       string   `json:"mode"` // "none", "x25519", "ssh", "passphrase" or "mixed"
	Recipients []string `json:"recipients,omitempty"`
}

// maxMetaSize bounds what ReadMeta accepts: real metadata is well under 4 KiB.
const maxMetaSize = 1 << 20

// ReadMeta parses an archive's .json sidecar.
func ReadMeta(r io.Reader) (Meta, error) {
	var m Meta
	dec := json.NewDecoder(io.LimitReader(r, maxMetaSize))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("store: read metadata: %w", err)
	}
	return m, nil
}
