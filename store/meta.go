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
	// Image is the image the container ran when it was backed up: a test-restore
	// starts its scratch server from it. Absent in archives of older versions.
	Image *ImageRef `json:"image,omitempty"`
	// Contents is what the dump held, counted from the dump stream as it was
	// written: what a test-restore compares the restored database with. Absent
	// when the engine does not count, or the stream could not be counted.
	Contents *Contents `json:"contents,omitempty"`
	// RestoreVerified records the last test-restore that passed; written by the
	// agent's scheduled test-restores.
	RestoreVerified *RestoreVerification `json:"restore_verified,omitempty"`
}

// EncryptionTag is the metadata's account of encryption: never key material.
type EncryptionTag struct {
	Mode       string   `json:"mode"` // "none", "x25519", "ssh", "mixed" (x25519 and ssh) or "passphrase"
	Recipients []string `json:"recipients,omitempty"`
}

// ImageRef names an image: as the container named it, and its content ID.
type ImageRef struct {
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// Contents is what a dump held: per database its tables and their rows (SQL
// engines, SQLite; MongoDB: collections and documents) or its keys (Redis).
type Contents struct {
	// Tool says what wrote the dump, as the dump itself says ("pg_dump 15.18",
	// "RDB version 11"), for messages.
	Tool      string             `json:"tool,omitempty"`
	Databases []DatabaseContents `json:"databases"`
}

// DatabaseContents is one database of a dump.
type DatabaseContents struct {
	Name   string      `json:"name"`
	Tables []TableRows `json:"tables,omitempty"`
	// Keys and ExpiringKeys count a Redis database's keys (ExpiringKeys of them
	// have a time to live, so fewer may load after they expire).
	Keys         int64 `json:"keys,omitempty"`
	ExpiringKeys int64 `json:"expiring_keys,omitempty"`
	// Roles are the roles a Postgres dump of one database names (owners,
	// grantees): they must exist where it is restored.
	Roles []string `json:"roles,omitempty"`
}

// TableRows is one table and the rows the dump held for it.
type TableRows struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
}

// Rows is the number of rows of every table of the database.
func (d DatabaseContents) Rows() int64 {
	var n int64
	for _, t := range d.Tables {
		n += t.Rows
	}
	return n
}

// Database returns the database named name, if the contents hold it.
func (c *Contents) Database(name string) (DatabaseContents, bool) {
	if c == nil {
		return DatabaseContents{}, false
	}
	for _, d := range c.Databases {
		if d.Name == name {
			return d, true
		}
	}
	return DatabaseContents{}, false
}

// RestoreVerification is a test-restore that passed. The .sha256 does not cover
// the .json, so anyone who can write a volume could plant one: it is trusted only
// with a valid Seal (see TrustedRestoreVerification).
type RestoreVerification struct {
	At       time.Time     `json:"at"`
	Image    string        `json:"image"`
	Checks   int           `json:"checks"`
	Duration float64       `json:"duration_seconds"`
	SHA256   string        `json:"sha256"` // of the archive that restored
	Counts   RestoreCounts `json:"counts"` // what the restored server held
	// Seal is an HMAC-SHA256, under the agent's key, of the archive's file name
	// and every field above (restoreverified.go).
	Seal string `json:"seal"`
}

// RestoreCounts sums up what a test-restore found in the restored server.
type RestoreCounts struct {
	Databases int   `json:"databases"`
	Tables    int   `json:"tables"`
	Rows      int64 `json:"rows"`
	Keys      int64 `json:"keys"`
}

// SetContents records what the dump held, for Commit to write into the
// metadata. Call it after the last Write, before Commit.
func (p *Pending) SetContents(c *Contents) { p.described.Contents = c }

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
