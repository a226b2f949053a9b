package engines

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// MongoDB dumps with `mongodump --archive` and restores with `mongorestore
// --archive --drop --stopOnError` inside the container. It logs in as the image's
// root user (MONGO_INITDB_ROOT_USERNAME, authenticated against admin) or the
// labelled user; the password reaches the tool in a --config YAML file: on stdin
// for mongodump, and for mongorestore, whose stdin carries the archive, in a
// mode-0600 temporary file that is removed afterwards.
//
// No MongoDB server or tools can be obtained on the machines that test baktainer:
// this engine is built and unit-tested only, never proven by a round trip.
type MongoDB struct{}

var _ Engine = MongoDB{}

// Name implements Engine.
func (MongoDB) Name() string { return "mongodb" }

// Extension implements Engine.
func (MongoDB) Extension() string { return "archive" }

// Validate implements Engine.
func (MongoDB) Validate(spec labels.Spec) error {
	var errs []error
	if spec.All && spec.Database != "" {
		errs = append(errs, &labels.Error{Label: labels.Database, Value: spec.Database, Problem: "cannot be combined with baktainer.db.all=true"})
	}
	return errors.Join(append(errs, mongoValidate(spec))...)
}

// Database implements Engine: the labelled database (or the one
// baktainer.db.include names), else every database.
func (MongoDB) Database(t Target) string {
	if db, single := mongoSingle(t.Spec); single && !t.Spec.Split {
		return db
	}
	if t.Spec.All || t.Spec.Database == "" {
		return "all"
	}
	return t.Spec.Database
}

// Example implements Engine.
func (MongoDB) Example() Example {
	return Example{
		Comment: []string{
			"MongoDB, backed up by baktainer with mongodump --archive (every database, or the one",
			"named by baktainer.db.name). baktainer logs in as the image's root user with the",
			"password from MONGO_INITDB_ROOT_PASSWORD_FILE. Needs the Database Tools 100.3 or later",
			"in the image (the official mongo:4.4 and later images have them).",
		},
		Service: "mongo",
		Image:   "mongo:7",
		Environment: map[string]string{
			"MONGO_INITDB_ROOT_USERNAME":      "root",
			"MONGO_INITDB_ROOT_PASSWORD_FILE": SecretPath("mongo_root_password"),
		},
		Secrets: []string{"mongo_root_password"},
		DataDir: "/data/db",
		Labels: map[string]string{
			labels.Backup: "true",
			labels.Engine: "mongodb",
		},
	}
}

type mongoConn struct {
	user, password setting
}

func (MongoDB) conn(ctx context.Context, ex Execer, t Target) (mongoConn, error) {
	user := pick(t, t.Spec.User, labels.User, "", "MONGO_INITDB_ROOT_USERNAME")
	password, err := secret(ctx, ex, t, "MONGO_INITDB_ROOT_PASSWORD")
	if err != nil {
		return mongoConn{}, err
	}
	return mongoConn{user: user, password: password}, nil
}

// args are the login options; the password goes in the config file at configPath.
func (c mongoConn) args(configPath string) []string {
	if c.user.Value == "" {
		return nil
	}
	// --option=value: a value is one word, never read as an option.
	args := []string{"--username=" + c.user.Value, "--authenticationDatabase=admin"}
	if c.password.Value != "" {
		args = append(args, "--config="+configPath)
	}
	return args
}

// config is the --config file's content: YAML holding the password.
func (c mongoConn) config() ([]byte, error) {
	out, err := yaml.Marshal(map[string]string{"password": c.password.Value})
	if err != nil {
		return nil, fmt.Errorf("engines: write the mongo tools' config: %w", err)
	}
	return out, nil
}

func (c mongoConn) fail(t Target, what string, err error) error {
	return redact(fmt.Errorf("container %s: %s as user %s, password from %s: %w",
		t.Container.Name, what, c.user, c.password.From, err), secretsOf(t, c.password, c.user.Value)...)
}

// Dump implements Engine.
func (m MongoDB) Dump(ctx context.Context, ex Execer, t Target, w io.Writer) error {
	c, err := m.conn(ctx, ex, t)
	if err != nil {
		return err
	}
	cmd := append([]string{"mongodump", "--archive", "--quiet"}, c.args("/dev/stdin")...)
	if db := m.Database(t); db != "all" {
		cmd = append(cmd, "--db="+db)
	}
	cmd = append(cmd, t.Spec.DumpOptions...)
	spec := docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Stdout: w}
	if c.password.Value != "" && c.user.Value != "" {
		config, err := c.config()
		if err != nil {
			return err
		}
		spec.Stdin = bytes.NewReader(config)
	}
	err = ex.Exec(ctx, spec)
	if notStarted(err) {
		return missingTool(t, "mongodb", "mongodump")
	}
	if err != nil {
		return c.fail(t, "mongodump of "+m.Database(t), err)
	}
	return nil
}

// Restore implements Engine.
func (m MongoDB) Restore(ctx context.Context, rt Runtime, t Target, r io.Reader) error {
	c, err := m.conn(ctx, rt, t)
	if err != nil {
		return err
	}
	configPath := ""
	if c.password.Value != "" && c.user.Value != "" {
		if configPath, err = writeSecretFile(ctx, rt, t, c); err != nil {
			return err
		}
		defer removeQuietly(ctx, rt, t, "", configPath)
	}
	cmd := append([]string{"mongorestore", "--archive", "--drop", "--stopOnError", "--quiet"}, c.args(configPath)...)
	err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: cmd, Stdin: r, Stdout: io.Discard})
	if notStarted(err) {
		return missingTool(t, "mongodb", "mongorestore")
	}
	if err != nil {
		return c.fail(t, "mongorestore", err)
	}
	return nil
}

// writeSecretFile puts the tools' config in a temporary file only its owner can
// read: mktemp creates it mode 0600, and dd writes into it without changing that.
func writeSecretFile(ctx context.Context, rt Runtime, t Target, c mongoConn) (string, error) {
	path, err := output(ctx, rt, t, nil, "", "mktemp", "/tmp/baktainer-mongo.XXXXXXXX")
	if err != nil {
		return "", fmt.Errorf("container %s: create a temporary file for the mongorestore config: %w", t.Container.Name, err)
	}
	config, err := c.config()
	if err == nil {
		err = rt.Exec(ctx, docker.ExecSpec{Container: t.Container.ID, Cmd: []string{"dd", "of=" + path}, Stdin: bytes.NewReader(config)})
	}
	if err != nil {
		removeQuietly(ctx, rt, t, "", path)
		return "", c.fail(t, "write the mongorestore config "+path, err)
	}
	return path, nil
}

// An archive starts with this magic number, little-endian, and ends with the
// terminator after the last namespace's EOF header (or, for a dump of no
// collections, after the archive header).
var (
	mongoMagic      = []byte{0x6d, 0xe2, 0x99, 0x81}
	mongoTerminator = []byte{0xff, 0xff, 0xff, 0xff}
	mongoEOFTrue    = []byte("\x08EOF\x00\x01") // BSON: boolean "EOF" = true
)

// CheckComplete implements Engine.
func (MongoDB) CheckComplete(head, tail []byte) error {
	if !bytes.HasPrefix(head, mongoMagic) {
		return fmt.Errorf("%w: does not start with the mongodump archive magic number", ErrIncomplete)
	}
	if !bytes.HasSuffix(tail, mongoTerminator) {
		return fmt.Errorf("%w: does not end with the archive terminator (cut short?)", ErrIncomplete)
	}
	last := lastBSONDocument(tail[:len(tail)-len(mongoTerminator)])
	if last == nil || !(bytes.Contains(last, mongoEOFTrue) || bytes.Contains(last, []byte("concurrent_collections\x00"))) {
		return fmt.Errorf("%w: the archive does not end with a namespace EOF header (cut short?)", ErrIncomplete)
	}
	return nil
}

// lastBSONDocument finds the BSON document that b ends with: the shortest suffix
// that starts with its own little-endian int32 length and ends with a 0 byte.
func lastBSONDocument(b []byte) []byte {
	if len(b) < 5 || b[len(b)-1] != 0 {
		return nil
	}
	for start := len(b) - 5; start >= 0; start-- {
		if int(binary.LittleEndian.Uint32(b[start:])) == len(b)-start {
			return b[start:]
		}
	}
	return nil
}
