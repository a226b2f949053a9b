package main

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/drill"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/store"
)

// The commands that read archives also read off-host copies, given as
// s3://BUCKET/KEY: list, verify and restore branch on the scheme here, with the
// server and credentials of BT_S3_* (the bucket and prefix come from the
// address).

// isS3 reports whether an argument is an off-host copy's address.
func isS3(arg string) bool { return strings.HasPrefix(arg, "s3://") }

// remote opens the bucket of u under prefix with the BT_S3_* server and
// credentials; BT_S3_BUCKET and BT_S3_PREFIX need not be set.
func (e *runEnv) remote(u offsite.URL, prefix string) (*offsite.Remote, error) {
	names := slices.DeleteFunc(slices.Clone(config.S3Vars), func(n string) bool {
		return n == offsite.EnvBucket || n == offsite.EnvPrefix
	})
	cfg, err := e.settings(names...)
	if err != nil {
		return nil, err
	}
	s := cfg.S3
	s.Bucket, s.Prefix = u.Bucket, prefix
	return offsite.New(s, offsite.Options{Log: e.log.WithField("component", "offsite")})
}

// remoteArchive opens the remote of an archive's address s3://BUCKET/KEY.
func (e *runEnv) remoteArchive(addr string) (*offsite.Remote, string, error) {
	u, err := offsite.ParseURL(addr)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	prefix, ok := u.ArchivePrefix()
	if !ok {
		return nil, "", fmt.Errorf("%w: %s is not an archive's address: s3://BUCKET/[PREFIX/]NAME/YYYY-MM-DD/NAME-YYYYMMDDTHHMMSSZ.EXT[.zst|.gz][.age] (baktainer list s3://BUCKET/PREFIX lists them)", errUsage, addr)
	}
	r, err := e.remote(u, prefix)
	return r, u.Key, err
}

// listS3 prints the complete copies under s3://BUCKET[/PREFIX] as list prints
// local archives, their Path the copy's address; copies whose sidecars
// contradict them are reported and make the exit status 1.
func listS3(ctx context.Context, env *runEnv, addr string, asJSON bool) error {
	u, err := offsite.ParseURL(addr)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	r, err := env.remote(u, strings.Trim(u.Key, "/"))
	if err != nil {
		return err
	}
	listing, err := r.List(ctx, "")
	if err != nil {
		return err
	}
	listed := make([]listedArchive, 0, len(listing.Copies))
	for _, c := range listing.Copies {
		listed = append(listed, listedCopy(r.URL(c.Key), c.Meta))
	}
	if asJSON {
		err = printJSON(env, listed)
	} else {
		err = printTable(env, listed)
	}
	if err != nil {
		return err
	}
	for _, l := range listing.Leftovers {
		fmt.Fprintf(env.stderr, "note: %s is part of no complete copy (an upload in progress or cut off; retention removes it after a day)\n", r.URL(l.Key))
	}
	var problems []store.Problem
	for _, p := range listing.Problems {
		problems = append(problems, store.Problem{Path: r.URL(p.Key), Err: p.Err})
	}
	return reportProblems(env, problems)
}

func listedCopy(url string, m store.Meta) listedArchive {
	return listedArchive{Path: url, Name: m.Name, Container: m.Container, Engine: m.Engine, Database: m.Database,
		Created: m.Created, Size: m.Size, DumpSize: m.DumpSize, SHA256: m.SHA256, Compression: string(m.Compression),
		Encrypted: m.Encrypted(), Encryption: m.Encryption.Mode, Recipients: m.Encryption.Recipients, Format: "baktainer"}
}

// remote verifies the copy at addr: streamed to its end and its SHA-256
// checked; with --deep also decrypted, decompressed and checked complete by its
// engine, in the same pass. Nothing is written to disk.
func (v *verifier) remote(addr string) {
	v.checked++
	r, key, err := v.env.remoteArchive(addr)
	if err != nil {
		v.report(addr, err)
		return
	}
	if !v.deep {
		meta, err := r.Verify(v.ctx, key)
		if err != nil {
			v.report(addr, err)
			return
		}
		fmt.Fprintf(v.env.stdout, "OK    %s (sha256 %s)\n", addr, short(meta.SHA256))
		return
	}
	var rec engines.Recorder
	meta, n, err := readRemoteDump(v.ctx, r, key, &rec, v.identities)
	if err != nil {
		v.report(addr, err)
		return
	}
	note := "no engine recorded: stream checked, completeness not"
	if meta.Engine != "" {
		if err := checkComplete(v.engines, meta.Engine, &rec); err != nil {
			v.report(addr, err)
			return
		}
		note = meta.Engine + " dump complete"
	}
	fmt.Fprintf(v.env.stdout, "OK    %s (sha256 %s, %d dump bytes read back, %s)\n", addr, short(meta.SHA256), n, note)
}

// readRemoteDump streams a copy's dump into sink and returns its metadata and
// the dump's length; the error of a copy that does not verify.
func readRemoteDump(ctx context.Context, r *offsite.Remote, key string, sink io.Writer, ids []age.Identity) (store.Meta, int64, error) {
	raw, err := r.Open(ctx, key)
	if err != nil {
		return store.Meta{}, 0, err
	}
	defer raw.Close()
	meta := raw.Meta()
	dump, err := store.DecodeStream(ctx, path.Base(key), raw, meta.DumpSize, ids...)
	if err != nil {
		return meta, 0, err
	}
	defer dump.Close()
	n, err := io.Copy(sink, dump)
	return meta, n, err
}

func checkComplete(reg *engines.Registry, engine string, rec *engines.Recorder) error {
	eng, err := reg.Lookup(engine)
	if err != nil {
		return fmt.Errorf("engine %q of its metadata: %w", engine, err)
	}
	if err := eng.CheckComplete(rec.Head(), rec.Tail()); err != nil {
		return fmt.Errorf("%s dump of %d bytes is not complete: %w", engine, rec.Len(), err)
	}
	return nil
}

// openRemoteSource opens the copy at addr for a restore: its sidecars are
// checked first, then its bytes stream from the bucket (no local staging),
// hashed on the way; the dump's end comes only when they match the copy's
// SHA-256, so a restore that commits at a clean end (Postgres, in one
// transaction) never commits a damaged copy.
func openRemoteSource(ctx context.Context, env *runEnv, addr string, ids []age.Identity) (*drill.Source, error) {
	r, key, err := env.remoteArchive(addr)
	if err != nil {
		return nil, err
	}
	raw, err := r.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	meta := raw.Meta()
	dump, err := store.DecodeStream(ctx, path.Base(key), raw, meta.DumpSize, ids...)
	if err != nil {
		raw.Close()
		return nil, err
	}
	return &drill.Source{Path: addr, Kind: drill.KindArchive, Engine: meta.Engine, Database: meta.Database, Image: meta.Image,
		Contents: meta.Contents, DumpSize: meta.DumpSize, Dump: closeBoth{dump, raw}}, nil
}

// closeBoth is a dump whose Close also closes the connection under it.
type closeBoth struct {
	io.ReadCloser
	under io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if uerr := c.under.Close(); err == nil {
		err = uerr
	}
	return err
}
