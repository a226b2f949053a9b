package offsite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/baktainer/baktainer/store"
)

// Caps on what is read of a sidecar, local or remote: real ones are well under
// 4 KiB (metadata) and 200 bytes (checksum line).
const (
	maxMetaSidecar     = 64 << 10
	maxChecksumSidecar = 4 << 10
)

// localArchive is a committed local archive opened for upload, its sidecars read
// and cross-checked.
type localArchive struct {
	path     string
	file     *os.File
	meta     store.Meta
	sum      []byte // the archive's SHA-256, from its sidecars
	metaJSON []byte // the .json sidecar as stored
	checksum []byte // the .sha256 sidecar as stored
}

// openLocal opens the archive at path (<root>/<name>/<date>/<file>) and its
// sidecars without following a link below root (store.OpenCommitted), and
// checks that they agree with each other and with the layout.
func openLocal(path string) (*localArchive, error) {
	c, err := store.OpenCommitted(path, maxMetaSidecar)
	if err != nil {
		return nil, fmt.Errorf("offsite: open archive: %w", err)
	}
	l := &localArchive{path: path, file: c.Archive, metaJSON: c.Meta, checksum: c.Checksum}
	if err := l.check(); err != nil {
		l.file.Close()
		return nil, err
	}
	return l, nil
}

// check parses the sidecars and checks them against each other, the layout
// and the archive's size.
func (l *localArchive) check() (err error) {
	if len(l.checksum) > maxChecksumSidecar {
		return fmt.Errorf("offsite: checksum of %s: %s is larger than %d bytes", l.path, l.path+store.ChecksumExt, maxChecksumSidecar)
	}
	if l.meta, err = store.ReadMeta(bytes.NewReader(l.metaJSON)); err != nil {
		return fmt.Errorf("offsite: %s: %w", l.path+store.MetaExt, err)
	}
	if l.sum, err = parseChecksum(l.checksum, filepath.Base(l.path)); err != nil {
		return fmt.Errorf("offsite: %s: %w", l.path+store.ChecksumExt, err)
	}
	if err := l.checkAgreement(); err != nil {
		return err
	}
	fi, err := l.file.Stat()
	if err == nil && fi.Size() != l.meta.Size {
		err = fmt.Errorf("%w: %s is %d bytes, its metadata says %d", store.ErrDamaged, l.path, fi.Size(), l.meta.Size)
	}
	if err != nil {
		return fmt.Errorf("offsite: %w", err)
	}
	return nil
}

// checkAgreement checks the sidecars against each other and the archive's path.
func (l *localArchive) checkAgreement() error {
	m, base := l.meta, filepath.Base(l.path)
	day := filepath.Base(filepath.Dir(l.path))
	name := filepath.Base(filepath.Dir(filepath.Dir(l.path)))
	switch {
	case !strings.EqualFold(m.SHA256, hex.EncodeToString(l.sum)):
		return fmt.Errorf("offsite: %w: %s: the checksum in its .json differs from its .sha256", store.ErrDamaged, l.path)
	case m.File != base:
		return fmt.Errorf("offsite: %w: %s: its metadata describes %q", store.ErrDamaged, l.path, m.File)
	case m.Name != name || m.Created.UTC().Format(dayLayout) != day:
		return fmt.Errorf("offsite: %s is not in the layout <root>/%s/%s/<file> its metadata says", l.path, m.Name, m.Created.UTC().Format(dayLayout))
	case m.Encrypted() != strings.HasSuffix(base, ".age"):
		return fmt.Errorf("offsite: %w: %s: its name and its metadata disagree about encryption", store.ErrDamaged, l.path)
	}
	if _, ok := parseKey("", m.Name+"/"+day+"/"+base); !ok {
		return fmt.Errorf("offsite: %s: not an archive name baktainer writes", l.path)
	}
	return nil
}

func (l *localArchive) close() { l.file.Close() }

// parseChecksum reads a one-line sha256sum file that must name file.
func parseChecksum(data []byte, file string) ([]byte, error) {
	line, _, _ := strings.Cut(string(data), "\n")
	sumHex, named, ok := strings.Cut(strings.TrimRight(line, "\r"), " ")
	sum, err := hex.DecodeString(sumHex)
	if !ok || err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: not in sha256sum format", store.ErrDamaged)
	}
	// sha256sum writes "SUM  NAME" (text mode) or "SUM *NAME" (binary mode).
	if named = strings.TrimPrefix(strings.TrimPrefix(named, " "), "*"); named != file {
		return nil, fmt.Errorf("%w: it names %q, not %q", store.ErrDamaged, named, file)
	}
	return sum, nil
}
