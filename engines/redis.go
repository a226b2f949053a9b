package engines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// Redis dumps every database of a Redis server as one RDB file with
// `redis-cli --rdb -` inside its container (the server forks a snapshot and streams
// it as it would to a replica), and checks the file's CRC-64 as it streams by.
//
// A restore stages the RDB beside the server's own (CONFIG GET dir, dbfilename),
// checks it (CRC-64, and redis-check-rdb where the image has it), turns off the
// server's save points so its shutdown cannot overwrite the file, waits for any
// background save to finish, moves the staged file over the server's, and restarts
// the container, which loads it. A server with appendonly yes would load its AOF
// instead, so such a restore is refused.
type Redis struct{}

var _ Engine = Redis{}

// Name implements Engine.
func (Redis) Name() string { return "redis" }

// Extension implements Engine.
func (Redis) Extension() string { return "rdb" }

// Validate implements Engine.
func (Redis) Validate(spec labels.Spec) error {
	var errs []error
	if spec.Database != "" {
		errs = append(errs, &labels.Error{Label: labels.Database, Value: spec.Database,
			Problem: "redis backs up every database in one RDB file; remove this label"})
	}
	errs = append(errs, noOptions("redis", spec, "baktainer streams the server's RDB snapshot, whose form no option changes"),
		noSelection("redis", spec, "redis backs up every database in one RDB file"))
	return errors.Join(errs...)
}

// Database implements Engine.
func (Redis) Database(Target) string { return "all" }

// Example implements Engine.
func (Redis) Example() Example {
	return Example{
		Comment: []string{
			"Redis, backed up by baktainer with redis-cli --rdb (every database, one RDB file).",
			"Restores restart the container and need appendonly no. With a password, put",
			"requirepass in a config file (not on the command line) and point",
			"baktainer.db.password_file at a secret holding it.",
		},
		Service: "cache",
		Image:   "redis:7",
		Command: []string{"redis-server", "--save", "300", "10", "--appendonly", "no"},
		DataDir: "/data",
		Labels: map[string]string{
			labels.Backup: "true",
			labels.Engine: "redis",
		},
	}
}

// redisConn is how to reach the target's server: redis-cli's defaults (127.0.0.1,
// port 6379) inside the container, an ACL user when labelled.
type redisConn struct {
	user, password setting
}

func (Redis) conn(ctx context.Context, ex Execer, t Target) (redisConn, error) {
	password, err := secret(ctx, ex, t, "REDIS_PASSWORD")
	if err != nil {
		return redisConn{}, err
	}
	return redisConn{user: pick(t, t.Spec.User, labels.User, "default"), password: password}, nil
}

// cmd is a redis-cli command line; the password travels in REDISCLI_AUTH.
// redis-cli knows no --option=value form, but takes the word after --user as the
// user whatever it looks like, so a user "-x" cannot become an option.
func (c redisConn) cmd(args ...string) []string {
	cmd := []string{"redis-cli"}
	if c.user.From != "default" {
		cmd = append(cmd, "--user", c.user.Value)
	}
	return append(cmd, args...)
}

func (c redisConn) env() []string {
	if c.password.Value == "" {
		return nil
	}
	return []string{"REDISCLI_AUTH=" + c.password.Value}
}

// fail wraps err with the context every redis error carries, secrets taken out
// of the tool's message.
func (c redisConn) fail(t Target, what string, err error) error {
	return redact(fmt.Errorf("container %s: %s as user %s, password from %s: %w",
		t.Container.Name, what, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value)...)
}

// unexpected is the error for a reply the server should not have given; the reply
// is quoted with the secrets taken out.
func (c redisConn) unexpected(t Target, reply string) error {
	return fmt.Errorf("unexpected reply %q", Redact(reply, secretsOf(t, c.password, c.user.Value)...))
}

// Dump implements Engine.
func (r Redis) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	c, err := r.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	rdb := &rdbStream{w: w}
	err = ex.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: c.cmd("--rdb", "-"), Env: c.env(), Stdout: rdb})
	if notStarted(err) {
		return missingTool(t, "redis", "redis-cli")
	}
	if err != nil {
		return c.fail(t, "redis-cli --rdb", err)
	}
	if err := rdb.Close(); err != nil {
		return fmt.Errorf("container %s: redis-cli --rdb: %w", t.Container.Name, err)
	}
	return nil
}

// call runs one redis-cli command and returns its raw reply. redis-cli exits 0
// even when the server answers with an error, so the reply is checked by the caller.
func (c redisConn) call(ctx context.Context, ex Execer, t Target, args ...string) (string, error) {
	out, err := output(ctx, ex, t, c.env(), "", c.cmd(append([]string{"--raw"}, args...)...)...)
	if notStarted(err) {
		return "", missingTool(t, "redis", "redis-cli")
	}
	if err != nil {
		return "", c.fail(t, "redis-cli "+strings.Join(args, " "), err)
	}
	return out, nil
}

// configGet returns one configuration value.
func (c redisConn) configGet(ctx context.Context, ex Execer, t Target, name string) (string, error) {
	out, err := c.call(ctx, ex, t, "CONFIG", "GET", name)
	if err != nil {
		return "", err
	}
	// The reply is the name, a newline and the value; output trims an empty value's newline.
	key, value, _ := strings.Cut(out, "\n")
	if key != name {
		return "", c.fail(t, "redis-cli CONFIG GET "+name, c.unexpected(t, out))
	}
	return value, nil
}

// Restore implements Engine.
func (r Redis) Restore(ctx context.Context, rt Runtime, t Target, in io.Reader) error {
	c, err := r.conn(ctx, rt, t)
	if err != nil {
		return err
	}
	settings := map[string]string{}
	for _, name := range []string{"dir", "dbfilename", "appendonly", "save"} {
		if settings[name], err = c.configGet(ctx, rt, t, name); err != nil {
			return err
		}
	}
	if settings["appendonly"] == "yes" {
		return fmt.Errorf("container %s: redis runs with appendonly yes, so after a restart it would load its AOF and ignore a restored RDB: "+
			"set appendonly no, restore, then CONFIG SET appendonly yes", t.Container.Name)
	}
	dir := settings["dir"]
	owner, err := fileOwner(ctx, rt, t, dir)
	if err != nil {
		return fmt.Errorf("container %s: redis data directory %s: %w", t.Container.Name, dir, err)
	}
	staged := path.Join(dir, tempName("baktainer-restore-", ".rdb"))
	defer removeQuietly(ctx, rt, t, owner, staged)
	if err := stageRDB(ctx, rt, t, owner, staged, in); err != nil {
		return err
	}
	if err := r.swap(ctx, rt, t, c, settings, owner, staged); err != nil {
		return err
	}
	if err := rt.Restart(ctx, t.Container.ID); err != nil {
		return fmt.Errorf("container %s: %w", t.Container.Name, err)
	}
	return c.waitReady(ctx, rt, t)
}

// stageRDB writes the RDB to staged, checking its CRC-64 on the way in: a bad
// archive fails the copy and never reaches the server.
func stageRDB(ctx context.Context, rt Runtime, t Target, owner, staged string, in io.Reader) error {
	pr, pw := io.Pipe()
	go func() {
		rdb := &rdbStream{w: pw}
		_, err := io.Copy(rdb, in)
		if err == nil {
			err = rdb.Close()
		}
		pw.CloseWithError(err)
	}()
	err := rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"dd", "of=" + staged, "bs=65536"}, User: owner, Stdin: pr})
	pr.Close()
	if err != nil {
		return fmt.Errorf("container %s: stage the RDB file as %s: %w", t.Container.Name, staged, err)
	}
	// redis-check-rdb, from the server's own build, knows whether this server can load
	// the file (an RDB from a newer Redis would keep the restarted server down).
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"redis-check-rdb", staged}, User: owner})
	if err != nil && !notStarted(err) {
		return fmt.Errorf("container %s: redis-check-rdb rejects the restored file: %w", t.Container.Name, err)
	}
	return nil
}

// swap makes sure the server will not write its own RDB before it restarts, then
// moves the staged file into place. On failure it restores the save points.
func (Redis) swap(ctx context.Context, rt Runtime, t Target, c redisConn, settings map[string]string, owner, staged string) (err error) {
	if out, err := c.call(ctx, rt, t, "CONFIG", "SET", "save", ""); err != nil {
		return err
	} else if out != "OK" {
		return c.fail(t, `redis-cli CONFIG SET save ""`, c.unexpected(t, out))
	}
	defer func() {
		if err != nil {
			_, _ = c.call(context.WithoutCancel(ctx), rt, t, "CONFIG", "SET", "save", settings["save"])
		}
	}()
	if err := c.waitNoBackgroundSave(ctx, rt, t); err != nil {
		return err
	}
	final := path.Join(settings["dir"], settings["dbfilename"])
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"mv", "-f", "--", staged, final}, User: owner})
	if err != nil {
		return fmt.Errorf("container %s: move the restored RDB over %s: %w", t.Container.Name, final, err)
	}
	return nil
}

// redisWait is how long a restore waits for a background save to end, and for the
// restarted server to load its data.
const redisWait = 5 * time.Minute

// waitNoBackgroundSave waits until no BGSAVE runs: one finishing after the swap
// would rename its own file over the restored one.
func (c redisConn) waitNoBackgroundSave(ctx context.Context, rt Runtime, t Target) error {
	return poll(ctx, redisWait, func() (bool, error) {
		info, err := c.call(ctx, rt, t, "INFO", "persistence")
		if err != nil {
			return false, err
		}
		return strings.Contains(info, "rdb_bgsave_in_progress:0"), nil
	}, func() error {
		return fmt.Errorf("container %s: a background save is still running after %s", t.Container.Name, redisWait)
	})
}

// waitReady waits until the restarted server answers PING (it answers LOADING
// while it reads the RDB).
func (c redisConn) waitReady(ctx context.Context, rt Runtime, t Target) error {
	var last string
	return poll(ctx, redisWait, func() (bool, error) {
		out, err := c.call(ctx, rt, t, "PING")
		last = out
		if err != nil {
			last = err.Error()
		}
		return out == "PONG", nil
	}, func() error {
		return fmt.Errorf("container %s: redis did not answer PING within %s after the restart (last: %q)", t.Container.Name, redisWait,
			Redact(last, secretsOf(t, c.password, c.user.Value)...))
	})
}

// poll calls check every half second until it reports done, fails, ctx ends or
// limit passes (then the error of timedOut).
func poll(ctx context.Context, limit time.Duration, check func() (bool, error), timedOut func() error) error {
	deadline := time.Now().Add(limit)
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return timedOut()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// CheckComplete implements Engine. The CRC-64 is checked in Dump, which sees every
// byte; this checks the frame: the magic, and the EOF opcode before the checksum.
func (Redis) CheckComplete(head, tail []byte) error {
	if !bytes.HasPrefix(head, rdbMagic) {
		return fmt.Errorf("%w: does not start with the REDIS magic", ErrIncomplete)
	}
	if len(tail) < 1+rdbSumLen || tail[len(tail)-rdbSumLen-1] != rdbEOF {
		return fmt.Errorf("%w: no RDB EOF opcode before the checksum at the end (cut short?)", ErrIncomplete)
	}
	return nil
}
