package engines

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
)

// A restore's input is checked while it streams (store.OpenVerified): it ends in an
// error, not io.EOF, when the archive turns out damaged or changed. psql must then
// not commit. psql --single-transaction commits at the end of its input, however
// that end came, so the transaction is opened and committed in the input itself:
// BEGIN first, and COMMIT only after a clean end. A failed read ends psql's input
// without the COMMIT; psql leaves at that end of input, and the server rolls the
// open transaction back when the session closes.

// pgInput frames a pg_dump restore's input.
type pgInput struct {
	parts  []io.Reader // what is left to send
	err    error       // the dump's read error, if any
	marker string      // echoed by psql just before the COMMIT
}

// newPgInput returns dump framed in one transaction, or with transaction false
// (pg_dumpall's script: CREATE DATABASE cannot run in a transaction) as it is.
// Either way a read error of dump ends the input early and is kept in err, and a
// clean end is followed by an \echo of a marker no dump can predict, so psql's
// output (with its exit code) proves it ran the whole input (see committed).
func newPgInput(dump io.Reader, transaction bool) *pgInput {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	in := &pgInput{marker: "baktainer-restore-complete-" + hex.EncodeToString(nonce)}
	// The first newline ends a last line that lacks one. The marker comes before the
	// COMMIT: a dump that left psql unable to run it (a cut COPY, a \restrict never
	// lifted) never reaches the COMMIT either.
	finish := "\n\\echo " + in.marker + "\n"
	if transaction {
		in.parts = append(in.parts, bytesReader("BEGIN;\n"))
		finish += "COMMIT;\n"
	}
	in.parts = append(in.parts, dump, bytesReader(finish))
	return in
}

func bytesReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

// Read sends the parts in turn; a read error of the dump ends the input (io.EOF, so
// the command's stdin is closed) and is kept for the caller.
func (in *pgInput) Read(p []byte) (int, error) {
	for len(in.parts) > 0 {
		n, err := in.parts[0].Read(p)
		switch {
		case err == io.EOF:
			in.parts = in.parts[1:]
		case err != nil:
			in.err, in.parts = err, nil
			return n, io.EOF
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, io.EOF
}

// committed reports whether psql's output (its tail) shows it reached the end of
// the input; with a zero exit code, the COMMIT after the marker ran too.
func (in *pgInput) committed(output []byte) bool {
	return bytes.Contains(output, []byte(in.marker))
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}
