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
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/baktainer/baktainer/atomicfile"
	"github.com/baktainer/baktainer/version"
)

// Options choose how archives are written.
type Options struct {
	Compression Compression
	Level       Level // empty: LevelFastest
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
	closed    bool  // no more writes: finishing or aborted
	committed bool
}

// writeBufferSize batches file writes; the pipeline's memory stays constant.
const writeBufferSize = 256 << 10

// Create starts an archive for meta.Name under root. meta.Created, when zero, is set
// to now; Format, Size, SHA256, DumpSize, File, Compression, Encryption and Version
// are filled in by Commit. ext is the dump's own extension without a dot ("sql").
// The empty Compression means zstd.
func Create(root string, meta Meta, ext string, opts Options) (*Pending, error) {
	if err := checkName(meta.Name); err != nil {
		return nil, err
	}
	if err := checkExt(ext); err != nil {
		return nil, err
	}
	comp, err := ParseCompression(string(opts.Compression))
	if err != nil {
		return nil, err
	}
	opts.Compression = comp
	if meta.Created.IsZero() {
		meta.Created = time.Now()
	}
	meta.Created = meta.Created.UTC().Truncate(time.Second)
	fullExt := "." + ext + opts.Compression.Extension() + opts.Encryption.Extension()
	final := archivePath(root, meta.Name, meta.Created, fullExt)
	dir := filepath.Dir(final)
	tmp, err := createTemp(dir, tempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return nil, fmt.Errorf("store: create temp file in %s: %w", dir, err)
	}
	p := &Pending{root: root, ext: fullExt, meta: meta, started: time.Now(), tmp: tmp, sum: sha256.New()}
	p.buffered = bufio.NewWriterSize(io.MultiWriter(tmp, p.sum), writeBufferSize)
	if err := p.buildChain(opts); err != nil {
		p.Abort()
		return nil, err
	}
	p.meta.Format = MetaFormat
	p.meta.Compression = opts.Compression
	if opts.Compression != None {
		p.meta.Level = opts.Level
		if p.meta.Level == "" {
			p.meta.Level = LevelFastest
		}
	}
	p.meta.Encryption = EncryptionTag{Mode: ModeNone}
	if opts.Encryption.Enabled() {
		p.meta.Encryption = EncryptionTag{Mode: opts.Encryption.Mode, Recipients: opts.Encryption.Fingerprints}
	}
	return p, nil
}

// createTemp makes dir (and any missing parent, each made durable) and
// a locked temp file in it. A concurrent prune may remove an empty day directory between
// the two steps: then it tries once more.
func createTemp(dir, pattern string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		if err := mkdirDurable(dir); err != nil {
			return nil, err
		}
		f, err := createLockedTemp(dir, pattern)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || attempt > 0 {
			return f, err
		}
	}
}

// buildChain joins compressor → encryptor → file, innermost stage last.
func (p *Pending) buildChain(opts Options) error {
	var out io.Writer = countingWriter{w: p.buffered, n: &p.size}
	enc, err := opts.Encryption.encryptor(out)
	if err != nil {
		return fmt.Errorf("store: start encryption: %w", err)
	}
	comp, err := opts.Compression.compressor(enc, opts.Level)
	if err != nil {
		_ = enc.Close()
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
		p.err = fmt.Errorf("store: %w", err) // err names the file
	}
	return n, p.err
}

// Commit finishes the archive and makes it visible: sidecars first, then the archive
// itself under its final name, so a crash before the last rename leaves only temp
// files and orphan sidecars, which Cleanup removes. It returns the archive's path
// and metadata. On error nothing is left behind.
func (p *Pending) Commit() (string, Meta, error) {
	if p.committed {
		return "", Meta{}, errors.New("store: archive already committed")
	}
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
			p.committed = true
			// Closing releases the lock; the file is already durable under its name.
			_ = p.tmp.Close()
			return final, p.meta, nil
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
			return fmt.Errorf("store: finish the archive: %w", err) // err names the file
		}
	}
	if err := p.buffered.Flush(); err != nil {
		return fmt.Errorf("store: finish the archive: %w", err)
	}
	if err := p.tmp.Sync(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// publish writes the sidecars of final, then renames the archive to final, then
// makes the directory durable. An os.ErrExist error means the name is taken; on any
// error nothing of ours remains under final's names.
func (p *Pending) publish(final string) (err error) {
	p.meta.File = filepath.Base(final)
	metaJSON, err := json.MarshalIndent(p.meta, "", "  ")
	if err != nil {
		return err
	}
	checksum := fmt.Sprintf("%s  %s\n", p.meta.SHA256, p.meta.File)
	var published []string
	defer func() {
		if err != nil { // archive first, as Prune does: never an archive without sidecars
			for i := len(published) - 1; i >= 0; i-- {
				_ = os.Remove(published[i])
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
		published = append(published, sc.path)
	}
	if err := renameNoReplace(p.tmp.Name(), final); err != nil {
		return err
	}
	published = append(published, final)
	return atomicfile.SyncDir(filepath.Dir(final))
}

// Abort discards the archive. It is safe to call more than once, and after Commit,
// when it does nothing.
func (p *Pending) Abort() {
	if p.committed {
		return
	}
	if !p.closed {
		p.closed = true
		for _, s := range p.stages {
			_ = s.Close() // stops the compressor's goroutines
		}
	}
	if err := p.tmp.Close(); !errors.Is(err, os.ErrClosed) {
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
