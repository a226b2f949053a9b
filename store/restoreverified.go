package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// A passed test-restore is recorded in the archive's .json sidecar. The .sha256
// covers the archive's bytes only, and a backup volume is writable by whatever
// mounts it, so "restore_verified" in a .json proves nothing by itself: it is
// trusted only when its Seal is an HMAC-SHA256, under the key of the agent that
// ran the test-restore (kept in its state directory, never on a volume), of the
// archive's file name, its SHA-256 and every field of the verification. A seal
// copied to another archive, a changed archive (another SHA-256), an edited
// field or a seal made with another key is not trusted: retention does not
// spare that archive and the dashboard shows it untested.

// SealKeySize is the size of the key test-restore results are sealed with.
const SealKeySize = 32

// sealVersion is the layout of the sealed message; a new one changes every seal.
const sealVersion = 1

// sealedMessage is what a seal covers, in a fixed encoding (a struct's JSON
// keeps its field order; times and floats are written as strings that parse back
// to themselves).
type sealedMessage struct {
	Version  int           `json:"v"`
	File     string        `json:"file"`
	SHA256   string        `json:"sha256"`
	At       string        `json:"at"`
	Image    string        `json:"image"`
	Checks   int           `json:"checks"`
	Duration string        `json:"duration"`
	Counts   RestoreCounts `json:"counts"`
}

func (v RestoreVerification) mac(key []byte, file string) []byte {
	msg, _ := json.Marshal(sealedMessage{Version: sealVersion, File: file, SHA256: v.SHA256,
		At: v.At.UTC().Format(time.RFC3339Nano), Image: v.Image, Checks: v.Checks,
		Duration: strconv.FormatFloat(v.Duration, 'g', -1, 64), Counts: v.Counts})
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// Sealed returns v with its Seal set for the archive named file, under key
// (SealKeySize bytes). At is kept in UTC.
func (v RestoreVerification) Sealed(key []byte, file string) RestoreVerification {
	v.At = v.At.UTC()
	v.Seal = hex.EncodeToString(v.mac(key, file))
	return v
}

// TrustedRestoreVerification returns m's restore verification when key sealed it
// for this very archive (m.File with m.SHA256); nil otherwise, and always with a
// key that is not SealKeySize bytes.
func (m Meta) TrustedRestoreVerification(key []byte) *RestoreVerification {
	v := m.RestoreVerified
	if v == nil || len(key) != SealKeySize || v.SHA256 != m.SHA256 || m.SHA256 == "" {
		return nil
	}
	seal, err := hex.DecodeString(v.Seal)
	if err != nil || !hmac.Equal(seal, v.mac(key, m.File)) {
		return nil
	}
	return v
}

// CountsOf sums up c for a RestoreVerification.
func CountsOf(c *Contents) RestoreCounts {
	var n RestoreCounts
	if c == nil {
		return n
	}
	for _, d := range c.Databases {
		n.Databases++
		n.Tables += len(d.Tables)
		n.Rows += d.Rows()
		n.Keys += d.Keys
	}
	return n
}

// RecordRestoreVerified writes v into the .json sidecar of the archive at path:
// the sidecar is read (a regular file, capped, never through a link), checked to
// describe the archive v is about (same file name and SHA-256, the archive and its
// .sha256 still there), and replaced atomically (temp file, fsync, rename, fsync
// of the directory). Nothing else in it changes. The caller seals v.
func RecordRestoreVerified(ctx context.Context, path string, v RestoreVerification) error {
	d, base, err := openParent(path)
	if err != nil {
		return err
	}
	defer d.close()
	meta, err := readMetaIn(d, base)
	if err != nil {
		return err
	}
	switch {
	case meta.File != base:
		return fmt.Errorf("%w: %s describes %q, not %q", ErrDamaged, d.join(base+MetaExt), meta.File, base)
	case meta.SHA256 != v.SHA256:
		return fmt.Errorf("%w: %s is not the archive that was test-restored (another SHA-256)", ErrDamaged, d.join(base))
	}
	for _, name := range []string{base, base + ChecksumExt} {
		if _, err := d.lstat(name); err != nil {
			return fmt.Errorf("store: record the test-restore of %s: %w", d.join(base), err)
		}
		if !d.isRegular(name) {
			return d.refused(name, "regular file")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	meta.RestoreVerified = &v
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := replaceFileAtomic(d, base+MetaExt, append(b, '\n')); err != nil {
		return fmt.Errorf("store: record the test-restore of %s: %w", d.join(base), err)
	}
	return nil
}

// replaceFileAtomic replaces the regular file name in d with data: a locked temp
// file (Cleanup leaves it alone), fsync, rename over name (a rename never follows
// a link; name was just read as a regular file), fsync of d.
func replaceFileAtomic(d *dirHandle, name string, data []byte) error {
	if !d.isRegular(name) {
		return d.refused(name, "regular file")
	}
	tmp, tmpName, err := createLockedTemp(d, tempPrefix+name+"-")
	if err != nil {
		return err
	}
	defer tmp.Close()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		if rerr := unix.Renameat(d.fd, tmpName, d.fd, name); rerr != nil {
			err = &fs.PathError{Op: "rename", Path: d.join(name), Err: rerr}
		}
	}
	if err != nil {
		return errors.Join(err, d.remove(tmpName))
	}
	return d.sync()
}

// Newest returns the newest committed, trusted archive of name under root (as
// Scan lists them); found is false when there is none, a missing root or name
// directory included.
func Newest(ctx context.Context, root, name string) (a Archive, found bool, err error) {
	if err := checkName(name); err != nil {
		return Archive{}, false, err
	}
	l, err := scan(ctx, root, name, time.Now())
	if errors.Is(err, fs.ErrNotExist) {
		return Archive{}, false, nil
	}
	if err != nil {
		return Archive{}, false, err
	}
	if len(l.Archives) == 0 {
		return Archive{}, false, nil
	}
	return l.Archives[len(l.Archives)-1], true, nil
}
