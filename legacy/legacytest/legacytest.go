// Package legacytest writes archives the way the Ruby Baktainer (jamez01/baktainer)
// wrote them, for the tests of package legacy and the integration tests: the same
// directory layout, file names, .meta files, gzip framing and BAKT encryption, at
// each stage of that tool's history. It follows the Ruby code's behaviour step by
// step (app/lib/baktainer/backup_orchestrator.rb, file_system_operations.rb,
// backup_encryption.rb, configuration.rb), and shares no code with package legacy,
// so that a misreading in one does not confirm itself in the other.
package legacytest

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Generation is a stage of the Ruby tool's history that wrote archives differently.
type Generation int

const (
	// Current is the last release: .sql, or .sql.gz (BT_COMPRESS, on by default,
	// overridden by the baktainer.compress label), then .encrypted when
	// BT_ENCRYPTION_ENABLED, each with a .meta.
	Current Generation = iota
	// Checksummed is commit d14b8a2 (July 2025): a temp file renamed to .sql, and a
	// .meta with the size and SHA-256, without the compression fields.
	Checksummed
	// FirstRelease is the first working release (May 2025): .sql written in place,
	// named after the container, no .meta.
	FirstRelease
)

// Settings are the Ruby tool's environment.
type Settings struct {
	Dir        string            // BT_BACKUP_DIR
	Generation Generation        // which release wrote the archives
	Env        map[string]string // BT_COMPRESS and the BT_ENCRYPTION_* variables
	// Location is the Ruby process's time zone: the day directory is its local
	// date. nil means UTC (the Ruby image's default).
	Location *time.Location
}

// Backup is one backup run.
type Backup struct {
	Name     string // baktainer.name, else the container's name
	Engine   string // baktainer.db.engine as written (e.g. "postgresql")
	Database string // baktainer.db.name; "" for none (JSON null)
	Compress string // the baktainer.compress label; "" when unset
	Time     time.Time
	Dump     []byte // what the dump command wrote to its standard output
}

// Write writes one backup as the Ruby tool did and returns the archive's path.
func Write(s Settings, b Backup) (string, error) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	now := b.Time.In(loc)
	dir := filepath.Join(s.Dir, now.Format("2006-01-02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := fmt.Sprintf("%s-%d", b.Name, now.Unix())
	if s.Generation == FirstRelease {
		path := filepath.Join(dir, base+".sql")
		return path, os.WriteFile(path, b.Dump, 0o644)
	}
	tmp := filepath.Join(dir, "."+base+".sql.tmp")
	if err := os.WriteFile(tmp, b.Dump, 0o644); err != nil {
		return "", err
	}
	if len(b.Dump) == 0 {
		return "", errors.New("the Ruby tool refused an empty backup file")
	}
	path, err := finish(s, b, now, tmp, filepath.Join(dir, base))
	if err != nil {
		return "", err
	}
	return path, afterBackup(s, b, now, path)
}

// finish turns the temp file into the archive: renamed or gzipped, then encrypted.
func finish(s Settings, b Backup, now time.Time, tmp, stem string) (string, error) {
	path := stem + ".sql"
	if s.Generation == Checksummed || !compress(s, b) {
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
	} else {
		path += ".gz"
		if err := gzipFile(tmp, path, now); err != nil {
			return "", err
		}
	}
	if s.Generation != Current || s.Env["BT_ENCRYPTION_ENABLED"] != "true" {
		return path, nil
	}
	return encryptFile(s, now, path)
}

// gzipFile is compress_file: one gzip member, Zlib::GzipWriter's defaults (the
// default level, the time of writing, Unix), then the source deleted.
func gzipFile(src, dst string, now time.Time) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.ModTime, zw.OS = now, 3
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Remove(src)
}

// compress is should_compress_backup?: the label first, then BT_COMPRESS (default true).
func compress(s Settings, b Backup) bool {
	if b.Compress != "" {
		return strings.ToLower(b.Compress) == "true"
	}
	switch strings.ToLower(s.Env["BT_COMPRESS"]) {
	case "", "true", "1", "yes", "on":
		return true
	}
	return false
}

// encryptFile is encrypt_file: the BAKT file, its encryption .meta, then the
// plain file overwritten and deleted.
func encryptFile(s Settings, now time.Time, path string) (string, error) {
	key, err := rubyKey(s.Env)
	if err != nil {
		return "", err
	}
	plain, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var iv [12]byte
	_, _ = rand.Read(iv[:])
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, _ := cipher.NewGCM(block)
	out := append([]byte("BAKT"), 1, byte(len("aes-256-gcm")))
	out = append(append(out, "aes-256-gcm"...), iv[:]...)
	out = gcm.Seal(out, iv[:], plain, nil)
	encrypted := path + ".encrypted"
	if err := os.WriteFile(encrypted, out, 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(key)
	meta := []field{
		{"algorithm", "aes-256-gcm"}, {"original_file", filepath.Base(path)},
		{"original_size", len(plain)}, {"encrypted_size", len(out)},
		{"encrypted_at", now.Format(rubyISO8601)}, {"key_fingerprint", hex.EncodeToString(sum[:])[:16]},
	}
	if err := writeJSON(encrypted+".meta", meta); err != nil {
		return "", err
	}
	return encrypted, os.Remove(path)
}

// rubyISO8601 is Time#iso8601 of a local time.
const rubyISO8601 = "2006-01-02T15:04:05-07:00"

// afterBackup is verify_backup_integrity: the content check reads the first five
// lines as text and lower-cases them, which raises on bytes that are not UTF-8 (an
// encrypted file, nearly always): then the backup's .meta is never written and the
// encryption's stays.
func afterBackup(s Settings, b Backup, now time.Time, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	minSize := 10
	if strings.HasSuffix(path, ".gz") {
		minSize = 20
	}
	if len(data) < minSize {
		return fmt.Errorf("the Ruby tool refused a backup file of %d bytes", len(data))
	}
	if strings.HasSuffix(path, ".encrypted") && !utf8.Valid(firstLines(data, 5)) {
		return nil
	}
	sum := sha256.Sum256(data)
	var database any
	if b.Database != "" {
		database = b.Database
	}
	meta := []field{
		{"timestamp", now.Format(rubyISO8601)}, {"container_name", b.Name}, {"engine", b.Engine},
		{"database", database}, {"file_size", len(data)}, {"checksum", hex.EncodeToString(sum[:])},
		{"backup_file", filepath.Base(path)},
	}
	if s.Generation == Current {
		gz := strings.HasSuffix(path, ".gz")
		var kind any
		if gz {
			kind = "gzip"
		}
		meta = append(meta, field{"compressed", gz}, field{"compression_type", kind})
	}
	return writeJSON(path+".meta", meta)
}

func firstLines(data []byte, n int) []byte {
	end := 0
	for i := 0; i < n && end < len(data); i++ {
		if j := bytes.IndexByte(data[end:], '\n'); j >= 0 {
			end += j + 1
		} else {
			end = len(data)
		}
	}
	return data[:end]
}

// field is one member of a JSON object written in order, as Ruby's to_json does.
type field struct {
	name  string
	value any
}

// writeJSON writes fields as Ruby's Hash#to_json: compact, in order, no HTML escapes.
func writeJSON(path string, fields []field) error {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(f.name)
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		if err := enc.Encode(f.value); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// rubyKey is get_encryption_key: BT_ENCRYPTION_KEY, else the whole content of
// BT_ENCRYPTION_KEY_FILE, else BT_ENCRYPTION_PASSPHRASE through PBKDF2; then a
// 32-character string is the key, 64 hex digits are decoded, "base64:" is decoded,
// and anything else goes through PBKDF2 with the default salt.
func rubyKey(env map[string]string) ([]byte, error) {
	data := env["BT_ENCRYPTION_KEY"]
	if data == "" && env["BT_ENCRYPTION_KEY_FILE"] != "" {
		content, err := os.ReadFile(env["BT_ENCRYPTION_KEY_FILE"])
		if err != nil {
			return nil, err
		}
		data = string(content)
	}
	if data == "" {
		if p := env["BT_ENCRYPTION_PASSPHRASE"]; p != "" {
			return pbkdf2.Key(sha256.New, p, []byte("baktainer-backup-encryption-salt"), 100000, 32)
		}
		return nil, errors.New("no encryption key configured")
	}
	switch chars := utf8.RuneCountInString(data); {
	case chars == 32:
		return []byte(data), nil
	case chars == 64 && strings.Trim(data, "0123456789abcdefABCDEF") == "":
		return hex.DecodeString(data)
	case strings.HasPrefix(data, "base64:"):
		return base64.StdEncoding.DecodeString(data[len("base64:"):])
	}
	return pbkdf2.Key(sha256.New, data, []byte("baktainer-default-salt"), 100000, 32)
}
