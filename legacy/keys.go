package legacy

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The variables the Ruby tool read its key from, in its order of preference: it
// used the first one set and ignored the others. Package config reads them
// (config.Config.LegacyKeys), every one set, through ParseKey and PassphraseKey.
const (
	EnvKey        = "BT_ENCRYPTION_KEY"
	EnvKeyFile    = "BT_ENCRYPTION_KEY_FILE"
	EnvPassphrase = "BT_ENCRYPTION_PASSPHRASE"
)

// The Ruby tool's key derivation: PBKDF2-HMAC-SHA256, 100,000 iterations, one fixed
// salt for "any other string" in BT_ENCRYPTION_KEY(_FILE), another for
// BT_ENCRYPTION_PASSPHRASE.
const (
	pbkdf2Iterations = 100_000
	keySaltDefault   = "baktainer-default-salt"
	keySaltPassword  = "baktainer-backup-encryption-salt"
	keySize          = 32
)

// KeyForm says how a key string became the 32 bytes of an AES-256 key.
type KeyForm string

// The forms the Ruby tool recognised, tried in this order.
const (
	FormRaw        KeyForm = "raw"        // exactly 32 characters, used as they are
	FormHex        KeyForm = "hex"        // 64 hexadecimal digits
	FormBase64     KeyForm = "base64"     // "base64:" and 32 bytes in base64
	FormDerived    KeyForm = "derived"    // any other string, through PBKDF2 (salt baktainer-default-salt)
	FormPassphrase KeyForm = "passphrase" // BT_ENCRYPTION_PASSPHRASE, through PBKDF2 (salt baktainer-backup-encryption-salt)
)

// Key is an AES-256 key the Ruby tool encrypted archives with. It never prints
// its bytes: String names where it came from and its form.
type Key struct {
	source string // the variable, and for a file its path
	form   KeyForm
	bytes  [keySize]byte
	note   string // what the user may not expect about how it was read
}

// String names the key's source and form, never the key.
func (k Key) String() string {
	s := fmt.Sprintf("the key from %s (%s)", k.source, k.form)
	if k.note != "" {
		s += ", " + k.note
	}
	return s
}

// Source names the variable (and file) the key came from.
func (k Key) Source() string { return k.source }

// Form says how the key was read.
func (k Key) Form() KeyForm { return k.form }

// Fingerprint is what the Ruby tool recorded as key_fingerprint in an encrypted
// archive's .meta: the first 16 hex digits of the key's SHA-256.
func (k Key) Fingerprint() string {
	sum := sha256.Sum256(k.bytes[:])
	return hex.EncodeToString(sum[:])[:16]
}

// ParseKey reads a key string the way the Ruby tool read BT_ENCRYPTION_KEY and the
// contents of BT_ENCRYPTION_KEY_FILE (byte for byte: a final line break is part of
// the string). source names the variable for messages; errors never quote value.
func ParseKey(source, value string) (Key, error) {
	form, err := classify(value)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", source, err)
	}
	k := Key{source: source, form: form}
	switch form {
	case FormRaw:
		copy(k.bytes[:], value)
	case FormHex:
		_, _ = hex.Decode(k.bytes[:], []byte(value))
	case FormBase64:
		copy(k.bytes[:], rubyDecodeBase64(value[len(base64Prefix):]))
	default:
		k.bytes = derive(value, keySaltDefault)
		if trimmed := strings.TrimRight(value, "\r\n"); trimmed != value {
			k.note = "its final line break included, as the Ruby tool read it"
			if f, err := classify(trimmed); err == nil && f != FormDerived {
				k.note += fmt.Sprintf(" (without it the string would be a %s key)", f)
			}
		}
	}
	return k, nil
}

const base64Prefix = "base64:"

// classify tells a key string's form with the Ruby tool's tests, in its order. The
// Ruby tool measured the string in characters, not bytes (UTF-8, each invalid byte
// one character): a 32-character string of multi-byte characters is no usable raw
// key, and it could not encrypt with one.
func classify(value string) (KeyForm, error) {
	chars := utf8.RuneCountInString(value)
	switch {
	case chars == keySize && len(value) != keySize:
		return "", fmt.Errorf("32 characters but %d bytes: the Ruby tool could not encrypt with such a key, so no archive uses it", len(value))
	case chars == keySize:
		return FormRaw, nil
	case chars == 2*keySize && isHex(value):
		return FormHex, nil
	case chars == 2*keySize && !utf8.ValidString(value):
		// Ruby's hex test raises on an invalid UTF-8 string.
		return "", errors.New("64 characters that are not valid UTF-8: the Ruby tool could not use such a key, so no archive uses it")
	case strings.HasPrefix(value, base64Prefix):
		if n := len(rubyDecodeBase64(value[len(base64Prefix):])); n != keySize {
			return "", fmt.Errorf("base64: decodes to %d bytes, not 32: the Ruby tool refused such a key, so no archive uses it", n)
		}
		return FormBase64, nil
	}
	return FormDerived, nil
}

// PassphraseKey derives the key from BT_ENCRYPTION_PASSPHRASE as the Ruby tool did.
func PassphraseKey(source, passphrase string) (Key, error) {
	if passphrase == "" {
		return Key{}, fmt.Errorf("%s is empty", source)
	}
	return Key{source: source, form: FormPassphrase, bytes: derive(passphrase, keySaltPassword)}, nil
}

func derive(secret, salt string) [keySize]byte {
	var out [keySize]byte
	b, err := pbkdf2.Key(sha256.New, secret, []byte(salt), pbkdf2Iterations, keySize)
	if err != nil { // only for parameters outside FIPS 140 limits, which these are not
		panic("legacy: pbkdf2: " + err.Error())
	}
	copy(out[:], b)
	return out
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// rubyDecodeBase64 decodes as Ruby's Base64.decode64 (unpack "m") does: characters
// outside the standard alphabet are skipped, '=' ends the data when it stands where
// the third or fourth character of a group would, and a lone final character is
// dropped. The filtered text then goes through the standard library's decoder.
func rubyDecodeBase64(s string) []byte {
	var kept []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			kept = append(kept, c)
		case c == '=' && len(kept)%4 >= 2:
			i = len(s)
		}
	}
	if len(kept)%4 == 1 {
		kept = kept[:len(kept)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(kept))
	if err != nil { // cannot happen: only alphabet characters, a valid length
		return nil
	}
	return out
}
