package engines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

var _ Inspector = Redis{}

// NewCounter implements Inspector.
func (Redis) NewCounter(string) *Counter { return newCounter(countRedis()) }

// Scratch implements Inspector: redis-server without an append-only file (the
// restore refuses one), and with DEBUG allowed from inside the container where the
// server knows the setting (Redis 7, which writes RDB version 10 and later), for
// the digest check.
func (r Redis) Scratch(d ScratchDump) (Scratch, error) {
	cmd := []string{"redis-server", "--appendonly", "no"}
	if rdbVersion(d.Contents) >= 10 {
		cmd = append(cmd, "--enable-debug-command", "local")
	}
	return Scratch{
		Cmd:  cmd,
		Spec: labels.Spec{Engine: "redis"},
		Ready: func(ctx context.Context, ex Execer, t Target) error {
			c, err := r.conn(ctx, ex, t)
			if err != nil {
				return err
			}
			if out, err := c.call(ctx, ex, t, "PING"); err != nil || out != "PONG" {
				return fmt.Errorf("redis answers %q: %v", out, err)
			}
			return nil
		},
		Integrity: r.digest,
	}, nil
}

// rdbVersion reads the version the counter recorded ("RDB version 11"); 0 when unknown.
func rdbVersion(c *store.Contents) int {
	if c == nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimPrefix(c.Tool, "RDB version "))
	return v
}

// digest checks that the server can write out what it loaded and read it back the
// same: DEBUG DIGEST, DEBUG RELOAD (save and load again), DEBUG DIGEST. Skipped
// where the server does not allow DEBUG.
func (r Redis) digest(ctx context.Context, ex Execer, t Target) []Check {
	check := Check{Name: "redis DEBUG DIGEST after DEBUG RELOAD"}
	c, err := r.conn(ctx, ex, t)
	if err != nil {
		check.Err = err
		return []Check{check}
	}
	before, err := c.call(ctx, ex, t, "DEBUG", "DIGEST")
	if err == nil && (strings.Contains(before, "not allowed") || strings.Contains(before, "unknown")) {
		check.Skipped, check.Detail = true, "the server does not allow DEBUG: "+before
		return []Check{check}
	}
	var reload, after string
	if err == nil {
		reload, err = c.call(ctx, ex, t, "DEBUG", "RELOAD")
	}
	if err == nil {
		after, err = c.call(ctx, ex, t, "DEBUG", "DIGEST")
	}
	switch {
	case err != nil:
		check.Err = err
	case reload != "OK":
		check.Err = fmt.Errorf("DEBUG RELOAD says %q", reload)
	case before != after || len(before) != 40:
		check.Err = fmt.Errorf("the digest was %q before the reload, %q after", before, after)
	default:
		check.Detail = before
	}
	return []Check{check}
}

// Survey implements Inspector: the keys of every database, from INFO keyspace.
func (r Redis) Survey(ctx context.Context, ex Execer, t Target, _ *store.Contents, _ bool) (*store.Contents, error) {
	c, err := r.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	info, err := c.call(ctx, ex, t, "INFO", "keyspace")
	if err != nil {
		return nil, err
	}
	out := &store.Contents{}
	for _, line := range strings.Split(info, "\n") {
		// db0:keys=9,expires=1,avg_ttl=0
		name, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "db") {
			continue
		}
		d := store.DatabaseContents{Name: strings.TrimPrefix(name, "db")}
		for _, f := range strings.Split(fields, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "keys":
				d.Keys = n
			case "expires":
				d.ExpiringKeys = n
			}
		}
		out.Databases = append(out.Databases, d)
	}
	return out, nil
}

// SelectDatabase implements Inspector: an RDB file is restored whole.
func (Redis) SelectDatabase(io.Reader, string) (io.ReadCloser, error) {
	return nil, errors.Join(ErrNotSupported, errors.New("a Redis restore replaces every database"))
}

// Split implements Inspector: one RDB file holds every database.
func (Redis) Split(context.Context, Execer, Target) ([]Part, error) { return nil, ErrNotSupported }
