// Package store writes and reads backup archives: one streaming pass from a dump to
// a compressed, optionally age-encrypted file with SHA-256 and JSON sidecars, made
// durable with the temp file → fsync → rename → fsync(dir) sequence, so that no crash
// leaves anything that looks like a good archive.
package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/baktainer/baktainer/version"
)

// Options choose how archives are written.
type Options struct {
	Compression Compression
	Encryption  Encryption
}

// Pending is an archive being written: write the dump to it, then Commit, or Abort.
// Until Commit returns, nothing of it is visible as an archive.
type Pending struct {
	root, ext string
	meta      Meta
	started   time.Time
	tmp       *os.File
	buffered  *bufio.Writer
	sum       hash.Hash
	size      int64 // bytes written to the file
	stages    []io.WriteCloser
	input     io.Writer
	err       error // the first write error; sticky
	closed    bool
}

// writeBufferSize batches file writes; the pipeline's memory stays constant.
const writeBufferSize = 256 << 10

// Create starts an archive for meta.Name under root. meta.Created, when zero, is set
// to now; Size, SHA256, DumpSize, File, Compression, Encryption and Version are
// filled in by Commit. ext is the dump's own extension without a dot ("sql").
func Create(root string, meta Meta, ext string, opts Options) (*Pending, error) {
	if meta.Name == "" || strings.ContainsAny(meta.Name, "/\\") || meta.Name[0] == '.' {
		return nil, fmt.Errorf("store: invalid archive name %q", meta.Name)
	}
	if meta.Created.IsZero() {
		meta.Created = time.Now()
	}
	meta.Created = meta.Created.UTC().Truncate(time.Second)
	fullExt := "." + ext + opts.Compression.Extension() + opts.Encryption.Extension()
	final := archivePath(root, meta.Name, meta.Created, fullExt)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return nil, fmt.Errorf("store: create temp file in %s: %w", dir, err)
	}
	if err := lockFile(tmp); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("store: lock %s: %w", tmp.Name(), err)
	}
	p := &Pending{root: root, ext: fullExt, meta: meta, started: time.Now(), tmp: tmp, sum: sha256.New()}
	p.buffered = bufio.NewWriterSize(io.MultiWriter(tmp, p.sum), writeBufferSize)
	if err := p.buildChain(opts); err != nil {
		p.Abort()
		return nil, err
	}
	p.meta.Compression = opts.Compression
	p.meta.Encryption = EncryptionTag{Mode: "none"}
	if opts.Encryption.Enabled() {
		p.meta.Encryption = EncryptionTag{Mode: opts.Encryption.Mode, Recipients: opts.Encryption.Fingerprints}
	}
	return p, nil
}

// buildChain joins compressor → encryptor → file, innermost stage last.
func (p *Pending) buildChain(opts Options) error {
	var out io.Writer = countingWriter{w: p.buffered, n: &p.size}
	enc, err := opts.Encryption.encryptor(out)
	if err != nil {
		return fmt.Errorf("store: start encryption: %w", err)
	}
	comp, err := opts.Compression.compressor(enc)
	if err != nil {
		return fmt.Errorf("store: start compression: %w", err)
	}
	p.stages = []io.WriteCloser{comp, enc}
	p.input = comp
	return nil
}

// Write feeds dump bytes into the pipeline. After a failed write every later write
// fails too, and Commit refuses.
func (p *Pending) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.closed {
		return 0, errors.New("store: write to a closed archive")
	}
	n, err := p.input.Write(b)
	p.meta.DumpSize += int64(n)
	if err != nil {
		p.err = fmt.Errorf("store: write %s: %w", p.tmp.Name(), err)
	}
	return n, p.err
}

// Commit finishes the archive and makes it visible: sidecars first, then the archive
// itself under its final name, so a crash before the last rename leaves only temp
// files and orphan sidecars, which Cleanup removes. It returns the archive's path
// and metadata. On error nothing is left behind.
func (p *Pending) Commit() (string, Meta, error) {
	if p.err != nil {
		p.Abort()
		return "", Meta{}, p.err
	}
	if err := p.finish(); err != nil {
		p.Abort()
		return "", Meta{}, err
	}
	p.meta.Size = p.size
	p.meta.SHA256 = hex.EncodeToString(p.sum.Sum(nil))
	p.meta.DumpDuration = time.Since(p.started).Seconds()
	p.meta.Version = version.Version

	for attempt := 0; ; attempt++ {
		final := archivePath(p.root, p.meta.Name, p.meta.Created, p.ext)
		if attempt > 0 { // two archives in one second: keep both
			final = strings.TrimSuffix(final, p.ext) + "-" + strconv.Itoa(attempt) + p.ext
		}
		err := p.publish(final)
		if err == nil {
			closeErr := p.tmp.Close()
			return final, p.meta, closeErr
		}
		if !errors.Is(err, os.ErrExist) || attempt >= 100 {
			p.Abort()
			return "", Meta{}, fmt.Errorf("store: commit archive %s: %w", final, err)
		}
	}
}

// finish flushes every stage and makes the temp file's content durable.
func (p *Pending) finish() error {
	p.closed = true
	for _, s := range p.stages {
		if err := s.Close(); err != nil {
			return fmt.Errorf("store: finish %s: %w", p.tmp.Name(), err)
		}
	}
	if err := p.buffered.Flush(); err != nil {
		return fmt.Errorf("store: write %s: %w", p.tmp.Name(), err)
	}
	if err := p.tmp.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", p.tmp.Name(), err)
	}
	return nil
}

// publish writes the sidecars of final, then renames the archive to final. An
// os.ErrExist error means the name is taken and nothing of ours remains there.
func (p *Pending) publish(final string) (err error) {
	p.meta.File = filepath.Base(final)
	metaJSON, err := json.MarshalIndent(p.meta, "", "  ")
	if err != nil {
		return err
	}
	checksum := fmt.Sprintf("%s  %s\n", p.meta.SHA256, p.meta.File)
	var written []string
	defer func() {
		if err != nil {
			for _, w := range written {
				_ = os.Remove(w)
			}
		}
	}()
	for _, sc := range []struct {
		path string
		data []byte
	}{{final + ChecksumExt, []byte(checksum)}, {final + MetaExt, append(metaJSON, '\n')}} {
		if err := writeFileAtomic(sc.path, sc.data); err != nil {
			return err
		}
		written = append(written, sc.path)
	}
	if err := renameNoReplace(p.tmp.Name(), final); err != nil {
		return err
	}
	return syncDir(filepath.Dir(final))
}

// Abort discards the archive. It is safe to call more than once, and after Commit.
func (p *Pending) Abort() {
	if !p.closed {
		p.closed = true
		for _, s := range p.stages {
			_ = s.Close()
		}
	}
	if err := p.tmp.Close(); err == nil || !errors.Is(err, os.ErrClosed) {
		_ = os.Remove(p.tmp.Name())
	}
}

// Path returns where the archive is being written (a temp file).
func (p *Pending) Path() string { return p.tmp.Name() }

type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}
