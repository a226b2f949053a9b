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
	"sync/atomic"
	"time"

	"github.com/baktainer/baktainer/version"
)

// Options choose how archives are written.
type Options struct {
	Compression Compression
	Level       Level // empty: LevelFastest
	Encryption  Encryption
	// MinFreeBytes is the free-space floor of the destination's filesystem: a
	// write that would go below it fails (the archive is not committed and its
	// partial file is removed), so a dump that never ends cannot fill a disk other
	// volumes share. Zero: no floor. It is checked at Create and after every
	// floorCheckEvery bytes written.
	MinFreeBytes uint64
	// ReaderGroup is the group (gid) that may read the archives: the archive and
	// its sidecars are then 0640 in it, and the directories from the root down
	// are put in it with g+rx (access.go). Zero: none, archives are 0600.
	ReaderGroup int
}

// Pending is an archive being written: write the dump to it, then Commit, or Abort.
// Until Commit returns, nothing of it is visible as an archive.
type Pending struct {
	ext       string
	dirs      dayDirs
	described Meta    // what Create's caller said of the backup
	opts      Options // how it is written
	started   time.Time
	duration  time.Duration // from Create to the end of the write, set by finish
	tmp       *os.File
	tmpName   string // in dirs.day
	buffered  *bufio.Writer
	sum       hash.Hash
	size      int64        // bytes written to the pipeline's last stage
	flushed   atomic.Int64 // bytes that reached the file (growing.go)
	dumpSize  int64        // bytes of the dump written to the pipeline
	stages    []io.WriteCloser
	input     io.Writer
	err       error // the first write error; sticky
	closed    bool  // no more writes: finishing or aborted
	committed bool
	released  bool // dirs closed
}

// writeBufferSize batches file writes; the pipeline's memory stays constant.
const writeBufferSize = 256 << 10

// Create starts an archive for meta.Name under root. meta describes the backup
// (name, container, engine, database, and Created, when zero now); everything
// else in the archive's metadata is the store's to say, and Commit assembles it
// (see assembleMeta). ext is the dump's own extension without a dot ("sql").
// The empty Compression means zstd. Below root, nothing is reached through a link:
// a <name> or <date> directory that is a link is refused, naming it.
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
	base := filepath.Base(archivePath(root, meta.Name, meta.Created, fullExt))
	dirs, tmp, tmpName, err := createTemp(root, meta.Name, meta.Created.Format(dayLayout), tempPrefix+base+"-")
	if err != nil {
		return nil, fmt.Errorf("store: create the archive of %s under %s: %w", meta.Name, root, err)
	}
	p := &Pending{ext: fullExt, dirs: dirs, described: meta, opts: opts, started: time.Now(), tmp: tmp, tmpName: tmpName, sum: sha256.New()}
	if err := errors.Join(p.access().dirs(dirs), p.access().file(tmp)); err != nil {
		p.Abort()
		return nil, fmt.Errorf("store: %w", err)
	}
	floor := &floorWriter{f: tmp, min: opts.MinFreeBytes, sinceCheck: floorCheckEvery}
	if err := floor.check(); err != nil {
		p.Abort()
		return nil, err
	}
	p.buffered = bufio.NewWriterSize(io.MultiWriter(flushCounter{floor, &p.flushed}, p.sum), writeBufferSize)
	if err := p.buildChain(opts); err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}

// assembleMeta is the archive's metadata, put together here and nowhere else:
// what Create's caller said of the backup, how it was written (the options),
// and what the writing measured, each counted once (sizes as the bytes went
// through, the duration by finish), under the archive's file name.
func (p *Pending) assembleMeta(file string) Meta {
	m := p.described
	m.Format = MetaFormat
	m.Compression, m.Level = p.opts.Compression, ""
	if p.opts.Compression != None {
		m.Level = p.opts.Level
		if m.Level == "" {
			m.Level = LevelFastest
		}
	}
	m.Encryption = EncryptionTag{Mode: ModeNone}
	if p.opts.Encryption.Enabled() {
		m.Encryption = EncryptionTag{Mode: p.opts.Encryption.Mode, Recipients: p.opts.Encryption.Fingerprints}
	}
	m.Size, m.DumpSize = p.size, p.dumpSize
	m.SHA256 = hex.EncodeToString(p.sum.Sum(nil))
	m.DumpDuration = p.duration.Seconds()
	m.Version = version.Version
	m.File = file
	return m
}

// dayDirs are the open directories an archive goes into: root, <name>, <date>.
type dayDirs struct {
	root, name, day     *dirHandle
	nameEntry, dayEntry string
}

func (d dayDirs) close() {
	for _, h := range []*dirHandle{d.day, d.name, d.root} {
		if h != nil {
			h.close()
		}
	}
}

// createTemp opens (making them, durably, when missing) <root>/<name>/<day>/ without
// following links, and a locked temp file in it. A concurrent prune or abort may
// remove an emptied directory between the steps: then it starts again.
func createTemp(root, name, day, prefix string) (dayDirs, *os.File, string, error) {
	for attempt := 0; ; attempt++ {
		dirs, err := openDayDirs(root, name, day)
		if err == nil {
			var f *os.File
			var tmpName string
			if f, tmpName, err = createLockedTemp(dirs.day, prefix); err == nil {
				return dirs, f, tmpName, nil
			}
			dirs.close()
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt >= 9 {
			return dayDirs{}, nil, "", err
		}
	}
}

func openDayDirs(root, name, day string) (d dayDirs, err error) {
	d.nameEntry, d.dayEntry = name, day
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.root, err = openRoot(root); errors.Is(err, fs.ErrNotExist) {
		if err = mkdirDurable(root); err == nil {
			d.root, err = openRoot(root)
		}
	}
	if err != nil {
		return d, err
	}
	if d.name, err = d.root.mkChild(name); err != nil {
		return d, err
	}
	d.day, err = d.name.mkChild(day)
	return d, err
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
	p.dumpSize += int64(n)
	switch {
	case errors.Is(err, ErrLowSpace):
		p.err = err
	case err != nil:
		p.err = fmt.Errorf("store: %w", err) // err names the file
	}
	return n, p.err
}

// Commit finishes the archive and makes it visible. The order is what keeps every
// crash harmless and `sha256sum -c *.sha256` true at every instant: the .json
// (temp file, rename), then the archive's rename (the archive file stays locked
// until the end, which tells Cleanup a commit is under way), then the .sha256 last.
// A crash leaves at most a temp file, a .json without its archive, or an archive
// with its .json but no .sha256, which Cleanup finishes when the archive matches
// its .json. It returns the archive's path and metadata. On error nothing is left.
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
	for attempt := 0; ; attempt++ {
		base := p.plannedBase(attempt)
		meta := p.assembleMeta(base)
		err := p.publish(meta)
		if err == nil {
			p.committed = true
			// Closing releases the lock; the file is already durable under its name.
			_ = p.tmp.Close()
			p.release()
			return p.dirs.day.join(base), meta, nil
		}
		if !errors.Is(err, os.ErrExist) || attempt >= 100 {
			p.Abort()
			return "", Meta{}, fmt.Errorf("store: commit archive %s: %w", p.dirs.day.join(base), err)
		}
	}
}

// plannedBase is the archive's file name at the commit's attempt-th try: a
// second archive of the same name in one second gets a counter, keeping both.
func (p *Pending) plannedBase(attempt int) string {
	base := p.described.Name + "-" + p.described.Created.Format(timestampLayout)
	if attempt > 0 {
		base += "-" + strconv.Itoa(attempt)
	}
	return base + p.ext
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
	p.duration = time.Since(p.started)
	return nil
}

// publish writes meta's .json, renames the archive to meta.File, writes its
// .sha256 and makes the directory durable. An os.ErrExist error before the
// archive's rename means the name is taken; on any error nothing of ours remains
// under its names (the archive goes first, so no archive is ever left with its
// .json alone).
func (p *Pending) publish(meta Meta) (err error) {
	day, base := p.dirs.day, meta.File
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	var published []string
	defer func() {
		if err != nil {
			for i := len(published) - 1; i >= 0; i-- {
				_ = day.remove(published[i])
			}
		}
	}()
	if err := writeFileAtomic(day, base+MetaExt, append(metaJSON, '\n'), p.access()); err != nil {
		return err
	}
	published = append(published, base+MetaExt)
	if err := day.renameNoReplace(p.tmpName, base); err != nil {
		return err
	}
	published = append(published, base)
	checksum := fmt.Sprintf("%s  %s\n", meta.SHA256, base)
	if err := writeFileAtomic(day, base+ChecksumExt, []byte(checksum), p.access()); err != nil {
		// Not a taken name: the archive is ours and now withdrawn.
		return fmt.Errorf("write %s: %w", day.join(base+ChecksumExt), errors.Join(err, errNotRetried))
	}
	published = append(published, base+ChecksumExt)
	return day.sync()
}

// errNotRetried keeps a failure after the archive's rename from counting as a taken
// name (os.ErrExist): the commit does not move on to another name.
var errNotRetried = errors.New("the commit is abandoned")

// Abort discards the archive, and the <date> and <name> directories when that
// leaves them empty. It is safe to call more than once, and after Commit, when it
// does nothing.
func (p *Pending) Abort() {
	if p.committed || p.released {
		return
	}
	if !p.closed {
		p.closed = true
		for _, s := range p.stages {
			_ = s.Close() // stops the compressor's goroutines
		}
	}
	_ = p.dirs.day.remove(p.tmpName)
	_ = p.tmp.Close()
	// A directory that holds anything (another writer's temp file, an archive)
	// stays: rmdir refuses it.
	if p.dirs.name.removeEmptyDir(p.dirs.dayEntry) {
		_ = p.dirs.name.sync()
		if p.dirs.root.removeEmptyDir(p.dirs.nameEntry) {
			_ = p.dirs.root.sync()
		}
	}
	p.release()
}

// release closes the directories; the Pending is done.
func (p *Pending) release() {
	if !p.released {
		p.released = true
		p.dirs.close()
	}
}

// access is who, besides the owner, may read what this archive writes.
func (p *Pending) access() access { return access{gid: p.opts.ReaderGroup} }

// DumpSize returns how many bytes of the dump were written so far.
func (p *Pending) DumpSize() int64 { return p.dumpSize }

// Path returns where the archive is being written (a temp file).
func (p *Pending) Path() string { return p.dirs.day.join(p.tmpName) }

type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}
