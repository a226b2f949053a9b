package offsite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/baktainer/baktainer/store"
)

// maxListed bounds a listing: a bucket a stranger filled with millions of keys
// must not exhaust the agent's memory.
const maxListed = 200000

// Copy is a complete remote copy: the archive and both sidecars, which agree
// with each other and with the key. Its bytes are not read by List: Verify and
// Open check them.
type Copy struct {
	Key      string // the archive's key
	Meta     store.Meta
	Modified time.Time // when the archive object was stored
	ETag     string
}

// Problem is a key that looks like one of baktainer's but cannot be trusted.
type Problem struct {
	Key string
	Err error
}

// Leftover is an archive or sidecar that is not part of a complete copy: an
// upload in progress or cut off, or a prune interrupted.
type Leftover struct {
	Key      string
	Modified time.Time
}

// Listing is what List found.
type Listing struct {
	Copies     []Copy     // oldest first
	Problems   []Problem  // copies whose sidecars contradict them: reported, never trusted
	Leftovers  []Leftover // parts of copies that are not complete
	Unexpected []string   // keys under the prefix that are not baktainer's layout
}

// Archives returns the copies as store.Archive, their Path being the key, for
// store.Plan.
func (l Listing) Archives() []store.Archive {
	out := make([]store.Archive, len(l.Copies))
	for i, c := range l.Copies {
		out[i] = store.Archive{Path: c.Key, Meta: c.Meta}
	}
	return out
}

// List lists the copies of name ("" for every name) under the prefix. Each
// copy's sidecars are read (capped, as the hostile input a bucket is) and
// checked against the key and the archive's size; a copy that fails is a
// Problem, and one without all three objects a Leftover.
func (r *Remote) List(ctx context.Context, name string) (Listing, error) {
	rt := &retrier{policy: r.opts.Retry, log: r.opts.Log}
	prefix := namePrefix(r.prefix, name)
	var objects []objectInfo
	err := rt.do(ctx, "list "+r.URL(prefix), func(ctx context.Context) (err error) {
		objects, err = r.store.list(ctx, prefix, maxListed)
		return err
	})
	if err != nil {
		return Listing{}, redact(fmt.Errorf("offsite: %w", err), r.settings)
	}
	groups, unexpected := groupCopies(r.prefix, objects)
	listing := Listing{Unexpected: unexpected}
	for _, g := range groups {
		if name != "" && g.parts.name != name {
			continue
		}
		if !g.complete() {
			listing.Leftovers = append(listing.Leftovers, g.leftovers()...)
			continue
		}
		c, err := r.readCopy(ctx, rt, g)
		switch {
		case errors.Is(err, errDamagedCopy):
			listing.Problems = append(listing.Problems, Problem{Key: g.archive.Key, Err: redact(err, r.settings)})
			continue
		case errors.Is(err, ErrNotFound): // removed since it was listed
			listing.Leftovers = append(listing.Leftovers, g.leftovers()...)
			continue
		case err != nil:
			return Listing{}, redact(fmt.Errorf("offsite: %w", err), r.settings)
		}
		listing.Copies = append(listing.Copies, c)
	}
	sort.SliceStable(listing.Copies, func(i, j int) bool {
		a, b := listing.Copies[i], listing.Copies[j]
		if !a.Meta.Created.Equal(b.Meta.Created) {
			return a.Meta.Created.Before(b.Meta.Created)
		}
		return a.Key < b.Key
	})
	return listing, nil
}

// copyGroup is an archive's key and its sidecars' keys as listed.
type copyGroup struct {
	parts                   keyParts
	archive, meta, checksum *objectInfo
}

func (g *copyGroup) complete() bool { return g.archive != nil && g.meta != nil && g.checksum != nil }

func (g *copyGroup) leftovers() []Leftover {
	var out []Leftover
	for _, o := range []*objectInfo{g.archive, g.meta, g.checksum} {
		if o != nil {
			out = append(out, Leftover{Key: o.Key, Modified: o.Modified})
		}
	}
	return out
}

// groupCopies sorts listed objects into copies by archive key, in key order.
func groupCopies(prefix string, objects []objectInfo) ([]*copyGroup, []string) {
	byArchive := map[string]*copyGroup{}
	var order []string
	var unexpected []string
	for i := range objects {
		o := &objects[i]
		k, ok := parseKey(prefix, o.Key)
		if !ok {
			unexpected = append(unexpected, o.Key)
			continue
		}
		archiveKey := strings.TrimSuffix(o.Key, k.sidecar)
		g := byArchive[archiveKey]
		if g == nil {
			g = &copyGroup{parts: k}
			byArchive[archiveKey] = g
			order = append(order, archiveKey)
		}
		switch k.sidecar {
		case store.MetaExt:
			g.meta = o
		case store.ChecksumExt:
			g.checksum = o
		default:
			g.archive = o
		}
	}
	sort.Strings(order)
	out := make([]*copyGroup, len(order))
	for i, k := range order {
		out[i] = byArchive[k]
	}
	return out, unexpected
}

// errDamagedCopy marks a copy whose objects contradict each other.
var errDamagedCopy = fmt.Errorf("%w: remote copy", store.ErrDamaged)

// readCopy reads and checks a complete group's sidecars.
func (r *Remote) readCopy(ctx context.Context, rt *retrier, g *copyGroup) (Copy, error) {
	metaJSON, checksum, err := r.readSidecars(ctx, rt, g.archive.Key)
	if err != nil {
		return Copy{}, err
	}
	meta, err := checkSidecars(g.parts, g.archive.Size, metaJSON, checksum)
	if err != nil {
		return Copy{}, fmt.Errorf("%w %s: %v", errDamagedCopy, r.URL(g.archive.Key), err)
	}
	return Copy{Key: g.archive.Key, Meta: meta, Modified: g.archive.Modified, ETag: g.archive.ETag}, nil
}

// readSidecars reads an archive's two sidecars, each capped; one too large is
// errDamagedCopy.
func (r *Remote) readSidecars(ctx context.Context, rt *retrier, key string) (metaJSON, checksum []byte, err error) {
	for _, sc := range []struct {
		ext   string
		limit int64
		into  *[]byte
	}{{store.MetaExt, maxMetaSidecar, &metaJSON}, {store.ChecksumExt, maxChecksumSidecar, &checksum}} {
		err := rt.do(ctx, "read "+r.URL(key+sc.ext), func(ctx context.Context) (err error) {
			*sc.into, err = readObject(ctx, r.store, key+sc.ext, sc.limit)
			return err
		})
		var perm permanentError
		switch {
		case errors.As(err, &perm) && !errors.Is(err, errNotFound):
			return nil, nil, fmt.Errorf("%w %s: %v", errDamagedCopy, r.URL(key), err)
		case errors.Is(err, errNotFound):
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrNotFound, r.URL(key+sc.ext), err)
		case err != nil:
			return nil, nil, err
		}
	}
	return metaJSON, checksum, nil
}

// checkSidecars parses a copy's sidecars and checks them against each other,
// the key's parts and the archive object's size.
func checkSidecars(k keyParts, size int64, metaJSON, checksum []byte) (store.Meta, error) {
	meta, err := store.ReadMeta(bytes.NewReader(metaJSON))
	if err != nil {
		return store.Meta{}, err
	}
	file := k.archive()
	sum, err := parseChecksum(checksum, file)
	if err != nil {
		return store.Meta{}, fmt.Errorf("%s: %v", store.ChecksumExt, err)
	}
	switch {
	case !strings.EqualFold(fmt.Sprintf("%x", sum), meta.SHA256):
		return store.Meta{}, errors.New("its .json and .sha256 give different checksums")
	case meta.File != file || meta.Name != k.name:
		return store.Meta{}, fmt.Errorf("its metadata describes %s/%s, not %s/%s", meta.Name, meta.File, k.name, file)
	case meta.Created.UTC().Format(dayLayout) != k.day:
		return store.Meta{}, fmt.Errorf("its metadata's date %s is not the key's day %s", meta.Created.UTC().Format(dayLayout), k.day)
	case meta.Size != size:
		return store.Meta{}, fmt.Errorf("the archive object is %d bytes, its metadata says %d", size, meta.Size)
	case meta.Encrypted() != (path.Ext(file) == ".age"):
		return store.Meta{}, errors.New("its name and its metadata disagree about encryption")
	}
	return meta, nil
}
