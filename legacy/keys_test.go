package legacy

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectors are test vectors made with Python's hashlib and cryptography packages,
// independently of this code (testdata/vectors.json says how).
type vectors struct {
	PBKDF2 []struct {
		Variable, Value, Salt string
		KeyHex                string `json:"key_hex"`
		Fingerprint           string
	} `json:"pbkdf2"`
	BAKT []struct {
		KeyHex   string `json:"key_hex"`
		PlainHex string `json:"plain_hex"`
		FileHex  string `json:"file_hex"`
	} `json:"bakt"`
	RawKeyFingerprint struct {
		KeyHex      string `json:"key_hex"`
		Fingerprint string
	} `json:"raw_key_fingerprint"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.PBKDF2) == 0 || len(v.BAKT) == 0 {
		t.Fatal("testdata/vectors.json holds no vectors")
	}
	return v
}

func TestDerivedKeysMatchVectors(t *testing.T) {
	for _, v := range loadVectors(t).PBKDF2 {
		var k Key
		var err error
		if v.Variable == EnvPassphrase {
			k, err = PassphraseKey(v.Variable, v.Value)
		} else {
			k, err = ParseKey(v.Variable, v.Value)
		}
		if err != nil {
			t.Fatalf("%s: %v", v.Variable, err)
		}
		if got := hex.EncodeToString(k.bytes[:]); got != v.KeyHex {
			t.Errorf("%s %q: key %s, want %s", v.Variable, v.Value, got, v.KeyHex)
		}
		if k.Fingerprint() != v.Fingerprint {
			t.Errorf("%s: fingerprint %s, want %s", v.Variable, k.Fingerprint(), v.Fingerprint)
		}
	}
}

func TestParseKeyForms(t *testing.T) {
	key32 := "0123456789abcdefghijklmnopqrstuv"                  // 32 characters: raw
	hex64 := strings.Repeat("0f1E2d3C4b5A6978", 4)               // 64 hex digits, mixed case
	b64 := "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // bytes 0..31
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	for _, tc := range []struct {
		name, value string
		form        KeyForm
		want        []byte // nil: derived, checked against the vectors elsewhere
		wantErr     string
	}{
		{"raw", key32, FormRaw, []byte(key32), ""},
		{"hex", hex64, FormHex, mustHex(hex64), ""},
		{"base64", b64, FormBase64, seq, ""},
		{"base64 without padding", strings.TrimSuffix(b64, "="), FormBase64, seq, ""},
		{"base64 with line breaks and spaces", "base64:AAECAwQFBgcICQoL\nDA0ODxAREhMU FRYXGBkaGxwdHh8=\n", FormBase64, seq, ""},
		{"base64 stops at padding", b64 + "QUJD", FormBase64, seq, ""},
		{"base64: of 32 characters is raw", "base64:" + strings.Repeat("A", 25), FormRaw, []byte("base64:" + strings.Repeat("A", 25)), ""},
		{"63 hex digits", hex64[:63], FormDerived, nil, ""},
		{"64 characters, not hex", strings.Repeat("g", 64), FormDerived, nil, ""},
		{"hex with a final line break", hex64 + "\n", FormDerived, nil, ""},
		{"a passphrase-like string", "correct horse battery staple", FormDerived, nil, ""},
		{"32 characters of several bytes", strings.Repeat("é", 32), "", nil, "32 characters but 64 bytes"},
		{"64 characters, invalid UTF-8", strings.Repeat("\xff", 64), "", nil, "not valid UTF-8"},
		{"base64 of 16 bytes", "base64:AAECAwQFBgcICQoLDA0ODw==", "", nil, "decodes to 16 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(EnvKey, tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), EnvKey) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, EnvKey, tc.wantErr)
				}
				if strings.Contains(err.Error(), tc.value) {
					t.Fatalf("the error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Form() != tc.form {
				t.Fatalf("form %s, want %s", k.Form(), tc.form)
			}
			if tc.want != nil && string(k.bytes[:]) != string(tc.want) {
				t.Fatalf("key %x, want %x", k.bytes, tc.want)
			}
			if strings.Contains(k.String(), tc.value) {
				t.Fatalf("String() shows the key: %s", k)
			}
		})
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestKeyFileKeepsItsLineBreak(t *testing.T) {
	v := loadVectors(t).PBKDF2[1] // the hex digits with a line break, through PBKDF2
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(v.Value), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t, map[string]string{EnvKeyFile: path})
	if len(keys) != 1 || hex.EncodeToString(keys[0].bytes[:]) != v.KeyHex {
		t.Fatalf("keys %v, want the PBKDF2 key of the file's whole content", keys)
	}
	if !strings.Contains(keys[0].String(), "line break") || !strings.Contains(keys[0].String(), "hex key") {
		t.Fatalf("String() does not explain the line break: %s", keys[0])
	}
}

// testKeys reads the Ruby tool's key variables as config does (config's tests
// hold it to that; legacy cannot import config).
func testKeys(t *testing.T, env map[string]string) []Key {
	t.Helper()
	var keys []Key
	add := func(k Key, err error) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if v := env[EnvKey]; v != "" {
		add(ParseKey(EnvKey, v))
	}
	if path := env[EnvKeyFile]; path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		add(ParseKey(EnvKeyFile+" ("+path+")", string(data)))
	}
	if v := env[EnvPassphrase]; v != "" {
		add(PassphraseKey(EnvPassphrase, v))
	}
	return keys
}

func TestRawKeyFingerprint(t *testing.T) {
	v := loadVectors(t).RawKeyFingerprint
	k, err := ParseKey(EnvKey, "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(k.bytes[:]) != v.KeyHex || k.Fingerprint() != v.Fingerprint {
		t.Fatalf("key %x fingerprint %s, want %s %s", k.bytes, k.Fingerprint(), v.KeyHex, v.Fingerprint)
	}
}
