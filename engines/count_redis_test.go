package engines

import (
	"os"
	"reflect"
	"testing"

	"github.com/baktainer/baktainer/store"
)

func TestCountRedis(t *testing.T) {
	// rd.rdb: redis 7 (baktainer-test/redis:7): db 0 holds a string, a number, a
	// hash, a list, two sets, a sorted set, a stream and a key with a TTL; db 3 two keys.
	got := countFile(t, newCounter(countRedis()), "testdata/rd.rdb")
	want := &store.Contents{Tool: "RDB version 10", Databases: []store.DatabaseContents{
		{Name: "0", Keys: 9, ExpiringKeys: 1},
		{Name: "3", Keys: 2},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// The suite's own capture of redis-cli's output (every type, two databases),
	// through rdbStream as Dump passes it on (without the replication end mark).
	raw, err := os.ReadFile("testdata/redis-7.0-cli-stdout.rdb")
	if err != nil {
		t.Fatal(err)
	}
	c := newCounter(countRedis())
	s := &rdbStream{w: c}
	if _, err := s.Write(raw); err != nil || s.Close() != nil {
		t.Fatal("rdbStream refused the capture")
	}
	got, err = c.Contents()
	if err != nil || len(got.Databases) == 0 || got.Databases[0].Keys == 0 {
		t.Fatalf("counted %+v", got)
	}
	t.Logf("redis-7.0-cli-stdout.rdb: %+v (err %v)", got, err)
}

func TestCountRedisDamaged(t *testing.T) {
	data, err := os.ReadFile("testdata/rd.rdb")
	if err != nil {
		t.Fatal(err)
	}
	for name, dump := range map[string][]byte{
		"cut":        data[:len(data)-20],
		"not an RDB": []byte("hello"),
		"huge value": append(append([]byte{}, data[:9]...), 0xfe, 0, 0, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	} {
		t.Run(name, func(t *testing.T) {
			c := newCounter(countRedis())
			_, _ = c.Write(dump)
			if got, err := c.Contents(); err == nil {
				t.Fatalf("counted %+v; want an error", got)
			}
		})
	}
}
