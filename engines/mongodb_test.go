package engines

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/labels"
)

// bsonDoc builds a BSON document from name/value pairs (string, bool, int32, int64).
func bsonDoc(pairs ...any) []byte {
	var body bytes.Buffer
	for i := 0; i < len(pairs); i += 2 {
		name := pairs[i].(string)
		switch v := pairs[i+1].(type) {
		case string:
			body.WriteByte(0x02)
			body.WriteString(name + "\x00")
			_ = binary.Write(&body, binary.LittleEndian, int32(len(v)+1))
			body.WriteString(v + "\x00")
		case bool:
			body.WriteByte(0x08)
			body.WriteString(name + "\x00")
			if v {
				body.WriteByte(1)
			} else {
				body.WriteByte(0)
			}
		case int32:
			body.WriteByte(0x10)
			body.WriteString(name + "\x00")
			_ = binary.Write(&body, binary.LittleEndian, v)
		case int64:
			body.WriteByte(0x12)
			body.WriteString(name + "\x00")
			_ = binary.Write(&body, binary.LittleEndian, v)
		}
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(body.Len()+5))
	return append(append(out, body.Bytes()...), 0)
}

// mongoArchive builds an archive as the mongodump archive format specifies: one
// collection with one document; complete, or cut before the namespace's EOF header.
func mongoArchive(complete bool) []byte {
	var a bytes.Buffer
	a.Write(mongoMagic)
	a.Write(bsonDoc("concurrent_collections", int32(4), "version", "0.1", "server_version", "7.0.5", "tool_version", "100.9.4"))
	a.Write(bsonDoc("db", "app", "collection", "people", "metadata", `{"indexes":[]}`, "size", int32(22)))
	a.Write(mongoTerminator)
	a.Write(bsonDoc("db", "app", "collection", "people", "EOF", false, "CRC", int64(0)))
	a.Write(bsonDoc("name", "Ada"))
	a.Write(mongoTerminator)
	if complete {
		a.Write(bsonDoc("db", "app", "collection", "people", "EOF", true, "CRC", int64(12345)))
		a.Write(mongoTerminator)
	}
	return a.Bytes()
}

func TestMongoCheckComplete(t *testing.T) {
	empty := append(append(append([]byte{}, mongoMagic...), bsonDoc("concurrent_collections", int32(4), "version", "0.1")...), mongoTerminator...)
	full := mongoArchive(true)
	for _, tc := range []struct {
		name    string
		archive []byte
		ok      bool
	}{
		{"complete", full, true},
		{"no collections", empty, true},
		{"cut after a data segment", mongoArchive(false), false},
		{"cut inside the EOF header", full[:len(full)-7], false},
		{"no terminator", full[:len(full)-4], false},
		{"not an archive", []byte("hello world, this is text"), false},
	} {
		head, tail := tc.archive[:min(len(tc.archive), recordSize)], tc.archive[max(0, len(tc.archive)-recordSize):]
		if err := (MongoDB{}).CheckComplete(head, tail); (err == nil) != tc.ok {
			t.Errorf("%s: CheckComplete = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestMongoCommands(t *testing.T) {
	target := Target{Container: docker.Container{ID: "id", Name: "mongo", Env: map[string]string{
		"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": "p'w: \"x\"",
	}}, Spec: labels.Spec{Database: "shop"}}
	f := &fakeRuntime{reply: func(cmd []string, _ string) (string, error) {
		if cmd[0] == "mongodump" {
			return string(mongoArchive(true)), nil
		}
		return plantedReply(cmd, "")
	}}
	var out bytes.Buffer
	if err := (MongoDB{}).Dump(context.Background(), f, target, &out); err != nil {
		t.Fatal(err)
	}
	dump, _, _ := f.find("mongodump")
	want := "mongodump --archive --quiet --username=root --authenticationDatabase=admin --config=/dev/stdin --db=shop"
	if strings.Join(dump.Cmd, " ") != want {
		t.Errorf("dump argv = %q, want %q", strings.Join(dump.Cmd, " "), want)
	}
	if dump.Stdin != "password: 'p''w: \"x\"'\n" {
		t.Errorf("dump config on stdin = %q", dump.Stdin)
	}
	if !bytes.Equal(out.Bytes(), mongoArchive(true)) {
		t.Error("the archive was not passed through unchanged")
	}

	f.calls = nil
	if err := (MongoDB{}).Restore(context.Background(), f, target, bytes.NewReader(mongoArchive(true))); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range f.calls {
		got = append(got, strings.Join(c.Cmd, " "))
	}
	wantCalls := []string{
		"mktemp /tmp/baktainer-mongo.XXXXXXXX",
		"dd of=/tmp/baktainer-mongo.AbCdEf12",
		"mongorestore --archive --drop --stopOnError --quiet --username=root --authenticationDatabase=admin --config=/tmp/baktainer-mongo.AbCdEf12",
		"rm -f -- /tmp/baktainer-mongo.AbCdEf12",
	}
	if strings.Join(got, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("restore ran:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantCalls, "\n"))
	}
	if restore, _, _ := f.find("mongorestore"); !bytes.Equal([]byte(restore.Stdin), mongoArchive(true)) {
		t.Error("mongorestore did not get the archive on stdin")
	}
}

func TestMongoMissingTool(t *testing.T) {
	f := &fakeRuntime{reply: func(cmd []string, _ string) (string, error) {
		return "OCI runtime exec failed: executable file not found", &docker.ExitError{Command: cmd[0], Code: 126}
	}}
	target := Target{Container: docker.Container{ID: "id", Name: "app"}, Spec: labels.Spec{Engine: "mongodb"}}
	err := (MongoDB{}).Dump(context.Background(), f, target, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "mongodump cannot be run") || !strings.Contains(err.Error(), "container app") {
		t.Fatalf("err = %v", err)
	}
}
