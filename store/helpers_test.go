package store

import (
	"bytes"
	"io"
	"testing"
	"time"

	"filippo.io/age"
)

// testKey returns a fresh X25519 identity and the Encryption to it.
func testKey(t testing.TB) (*age.X25519Identity, Encryption) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := RecipientEncryption("test", []string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	return id, enc
}

// writeArchive commits data as an archive of name under root.
func writeArchive(t testing.TB, root, name string, created time.Time, data []byte, opts Options) (string, Meta) {
	t.Helper()
	p, err := Create(root, Meta{Name: name, Engine: "postgres", Created: created}, "sql", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(p, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	path, meta, err := p.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path, meta
}

// readBack opens an archive and returns its content.
func readBack(t testing.TB, path string, ids ...age.Identity) []byte {
	t.Helper()
	r, err := Open(path, ids...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMain(m *testing.M) {
	scryptWorkFactor = 10 // a thousandth of the work: the tests check behaviour, not strength
	m.Run()
}
