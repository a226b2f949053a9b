package legacy

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/labels"
)

// Report is what verifying an archive established.
type Report struct {
	Engine     string // canonical; from its .meta, else recognised from the dump; "" when neither tells
	Database   string // from its .meta
	DumpSize   int64  // bytes of the plain dump
	DumpSHA256 string // of the plain dump, hex
	Key        *Key   // the key that opened it, for an encrypted archive
	Checked    []string
	Warnings   []string
}

// Verify reads the archive once to the end and checks everything its format and
// .meta allow: that the .meta describes this file (name, size) and its SHA-256
// matches; for an encrypted archive, that a key given is the one its .meta names
// and that the GCM tag authenticates the whole file; for a gzip archive, gzip's
// CRC-32 and length; and that the dump is whole (its tool's header and footer).
// The plain dump goes to sink (may be nil) as it is read: it is not authenticated
// until Verify returns nil. Errors wrap ErrDamaged, ErrChecksumMismatch,
// ErrAuthentication, ErrWrongKey, ErrNeedKey or ErrIncomplete.
func Verify(ctx context.Context, a Archive, keys []Key, sink io.Writer) (Report, error) {
	f, size, err := openForReading(a)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	rep, _, err := verifyOpen(ctx, a, f, size, keys, sink)
	return rep, err
}

// openForReading opens a's file and checks its .meta describes it.
func openForReading(a Archive) (*os.File, int64, error) {
	if a.MetaErr != nil {
		return nil, 0, fmt.Errorf("%w: %s: %v (move the .meta aside to check the file by its format alone)", ErrDamaged, a.Path, a.MetaErr)
	}
	f, fi, err := openArchive(a)
	if err != nil {
		return nil, 0, fmt.Errorf("legacy: open %s: %w", a.Path, err)
	}
	if a.Meta != nil {
		if err := a.Meta.describes(filepath.Base(a.Path), fi.Size()); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("%s: %w", a.Path, err)
		}
	}
	return f, fi.Size(), nil
}

// verifyOpen is Verify on an open file of size bytes; it also returns the pins
// that let Open read the same bytes again.
func verifyOpen(ctx context.Context, a Archive, f *os.File, size int64, keys []Key, sink io.Writer) (Report, [][sha256.Size]byte, error) {
	rep := Report{}
	if a.Meta != nil {
		rep.Engine = labels.CanonicalEngine(a.Meta.Engine)
		rep.Database = a.Meta.Database
	} else {
		rep.Warnings = append(rep.Warnings, "no .meta beside it: no checksum recorded to compare with")
	}
	key, err := chooseKey(ctx, a, f, size, keys)
	if err != nil {
		return rep, nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	pins, err := verifyPass(ctx, a, f, size, key, sink, &rep)
	if errors.Is(err, ErrAuthentication) {
		err = fmt.Errorf("%w: the GCM tag does not match with %s: the file was changed or damaged, or another key wrote it", err, key)
	}
	if err != nil {
		return rep, nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	if key != nil {
		rep.Key = key
		rep.Checked = append([]string{"AES-256-GCM tag authenticates the whole file with " + key.String()}, rep.Checked...)
	}
	return rep, pins, nil
}

// verifyPass reads the file once through every layer and checks what it can.
func verifyPass(ctx context.Context, a Archive, f *os.File, size int64, key *Key, sink io.Writer, rep *Report) ([][sha256.Size]byte, error) {
	raw := newPinner(io.NewSectionReader(f, 0, size))
	plain, layers, decodeErr := decode(raw, size, a, key)
	recorder := &engines.Recorder{}
	sum := sha256.New()
	if decodeErr == nil {
		out := io.MultiWriter(recorder, sum)
		if sink != nil {
			out = io.MultiWriter(recorder, sum, sink)
		}
		_, decodeErr = io.CopyBuffer(out, ctxReader{ctx, plain}, make([]byte, 256<<10))
		decodeErr = layers.firstError(decodeErr)
	}
	// Hash what the decoders left unread: damage is reported as such first.
	if _, err := io.Copy(io.Discard, ctxReader{ctx, raw}); err != nil {
		return nil, fmt.Errorf("legacy: read: %w", err)
	}
	if raw.n != size {
		return nil, fmt.Errorf("%w: %d bytes read of %d", ErrChanged, raw.n, size)
	}
	if err := checkRecorded(a.Meta, hex.EncodeToString(raw.whole.Sum(nil)), size, rep); err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	if a.Gzip {
		rep.Checked = append(rep.Checked, "gzip's CRC-32 and length match")
	}
	rep.DumpSize, rep.DumpSHA256 = recorder.Len(), hex.EncodeToString(sum.Sum(nil))
	if err := checkDump(rep, recorder.Head(), recorder.Tail()); err != nil {
		return nil, err
	}
	return raw.finish(), nil
}

// checkRecorded compares the file with what its .meta recorded.
func checkRecorded(m *Meta, sha string, size int64, rep *Report) error {
	switch {
	case m == nil:
	case m.Kind() == MetaBackup:
		if sha != m.Checksum {
			return fmt.Errorf("%w: sha256 %s, its .meta says %s", ErrChecksumMismatch, sha, m.Checksum)
		}
		rep.Checked = append(rep.Checked, "size and SHA-256 match its .meta")
	case m.Kind() == MetaEncryption:
		if plain := size - int64(BAKTHeaderSize) - baktTagSize; plain != *m.OriginalSize {
			return fmt.Errorf("%w: it holds %d encrypted bytes, its .meta says %s had %d", ErrDamaged, plain, m.OriginalFile, *m.OriginalSize)
		}
		rep.Checked = append(rep.Checked, "size and encrypted size match its encryption .meta (which records no checksum)")
	}
	return nil
}

// checkDump checks the plain dump is whole, by the engine its .meta names or,
// without one, the engine its first bytes show.
func checkDump(rep *Report, head, tail []byte) error {
	seen := recognise(head)
	if rep.Engine == "" {
		rep.Engine = seen
	}
	if rep.DumpSize == 0 {
		return fmt.Errorf("%w: the dump is empty", ErrIncomplete)
	}
	what, err := checkComplete(rep.Engine, head, tail)
	if err != nil {
		return err
	}
	if what == "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("engine %q: not a dump this baktainer recognises; its completeness is not checked", rep.Engine))
		return nil
	}
	rep.Checked = append(rep.Checked, what)
	return nil
}

// layers are the decoders between the file and the plain dump.
type layers struct {
	gcm *gcmOpener
	gz  *gzip.Reader
}

// firstError returns the innermost layer's error: a failed tag explains whatever
// gzip made of the unauthenticated bytes.
func (l layers) firstError(copyErr error) error {
	if l.gcm != nil {
		if l.gcm.err == nil { // gzip stopped early: read the rest for the tag
			_, _ = io.Copy(io.Discard, l.gcm)
		}
		if l.gcm.err != io.EOF {
			return l.gcm.err
		}
	}
	if copyErr != nil && !errors.Is(copyErr, context.Canceled) && !errors.Is(copyErr, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrDamaged, copyErr)
	}
	return copyErr
}

// decode returns the plain dump read from raw, the archive's size bytes, through
// the layers its name says it has.
func decode(raw io.Reader, size int64, a Archive, key *Key) (io.Reader, layers, error) {
	var l layers
	r := raw
	if a.Encrypted {
		iv, err := readBAKTHeader(raw)
		if err != nil {
			return nil, l, err
		}
		if l.gcm, err = newGCMOpener(key.bytes, iv, raw, size-int64(BAKTHeaderSize)); err != nil {
			return nil, l, err
		}
		r = l.gcm
	}
	if a.Gzip {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, l, l.firstError(fmt.Errorf("gzip: %w", err))
		}
		l.gz, r = gz, gz
	}
	return r, l, nil
}

// chooseKey picks the key that opens an encrypted archive: the one whose
// fingerprint its .meta records, else the first whose GCM tag matches.
func chooseKey(ctx context.Context, a Archive, f *os.File, size int64, keys []Key) (*Key, error) {
	if !a.Encrypted {
		return nil, nil
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: give its key in %s, %s or %s", ErrNeedKey, EnvKey, EnvKeyFile, EnvPassphrase)
	}
	candidates := keys
	if m := a.Meta; m != nil && m.Kind() == MetaEncryption && m.KeyFingerprint != "" {
		candidates = nil
		var tried []string
		for _, k := range keys {
			if k.Fingerprint() == strings.ToLower(m.KeyFingerprint) {
				candidates = append(candidates, k)
			}
			tried = append(tried, fmt.Sprintf("%s: %s", k, k.Fingerprint()))
		}
		if len(candidates) == 0 {
			return nil, fmt.Errorf("%w: its .meta records key fingerprint %s; the keys given have %s", ErrWrongKey, m.KeyFingerprint, strings.Join(tried, "; "))
		}
	}
	if len(candidates) == 1 {
		return &candidates[0], nil
	}
	for i := range candidates {
		if err := authenticate(ctx, f, size, candidates[i]); err == nil {
			return &candidates[i], nil
		} else if !errors.Is(err, ErrAuthentication) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w with each of the %d keys given: a wrong key, or the file was changed or damaged", ErrAuthentication, len(candidates))
}

// authenticate checks the GCM tag with key, decrypting nothing anyone sees.
func authenticate(ctx context.Context, f *os.File, size int64, key Key) error {
	raw := io.NewSectionReader(f, 0, size)
	iv, err := readBAKTHeader(raw)
	if err != nil {
		return err
	}
	o, err := newGCMOpener(key.bytes, iv, raw, size-int64(BAKTHeaderSize))
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(io.Discard, ctxReader{ctx, o}, make([]byte, 256<<10))
	return err
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
