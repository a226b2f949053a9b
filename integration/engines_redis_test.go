//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// redisSeedScript fills a database with every data type, a key that expires, and
// bulk strings of hex digests (which RDB's LZF compression cannot shrink) so the
// dump is several MiB.
const redisSeedScript = `
for i = 1, tonumber(ARGV[1]) do
  local parts = {}
  for j = 1, 48 do parts[j] = redis.sha1hex(ARGV[2] .. i .. ':' .. j) end
  redis.call('SET', 'bulk:' .. i, table.concat(parts))
end
redis.call('SET', 'greeting', 'Ünïcødé ✓ 東京 🧱 ' .. ARGV[2])
redis.call('SET', 'binary', '\0\255\0\r\n')
redis.call('HSET', 'user:1', 'name', 'Ada', 'lang', 'en', 'empty', '')
redis.call('RPUSH', 'queue', 'a', 'b', 'c', 'a')
redis.call('SADD', 'tags', 'x', 'y', 'z')
redis.call('ZADD', 'scores', 1.5, 'one', -2, 'two', 1e10, 'three')
redis.call('XADD', 'events', '1-1', 'kind', 'created')
redis.call('XADD', 'events', '2-0', 'kind', 'deleted')
redis.call('SET', 'expiring', 'soon', 'EX', 86400)
return 'ok'`

// redisSnapshotScript lists every key of the current database with its type, a
// digest of its content in a canonical order (DUMP is not canonical: a set's
// members come in the order of its hash table, seeded per process) and whether it
// expires.
const redisSnapshotScript = `
local function flat(items, out)
  for _, v in ipairs(items) do
    if type(v) == 'table' then flat(v, out) else out[#out + 1] = tostring(v) end
  end
  return out
end
local keys = redis.call('KEYS', '*')
table.sort(keys)
local out = {}
for _, k in ipairs(keys) do
  local t = redis.call('TYPE', k).ok
  local parts
  if t == 'string' then parts = {redis.call('GET', k)}
  elseif t == 'list' then parts = redis.call('LRANGE', k, 0, -1)
  elseif t == 'set' then parts = redis.call('SMEMBERS', k); table.sort(parts)
  elseif t == 'zset' then parts = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'hash' then
    local h = redis.call('HGETALL', k)
    parts = {}
    for i = 1, #h, 2 do parts[#parts + 1] = h[i] .. '=' .. h[i + 1] end
    table.sort(parts)
  elseif t == 'stream' then parts = flat(redis.call('XRANGE', k, '-', '+'), {})
  else parts = {'unknown type'} end
  out[#out + 1] = k .. ' ' .. t .. ' ' .. #parts .. ' ' .. redis.sha1hex(table.concat(parts, '\0')) ..
    ' ' .. tostring(redis.call('PTTL', k) > 0)
end
return table.concat(out, '\n')`

// TestEngineRedis runs the engine suite on Redis: two databases, every data type;
// the restore replaces the fresh server's own data and restarts its container.
func TestEngineRedis(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	eng := engines.Redis{}
	start := func(t *testing.T, role enginetest.Role) enginetest.Container {
		secret := engPassword("redis")
		spec, set := engExample(t, eng, rig.RedisImage, "", []string{"REDIS_PASSWORD=" + secret}, nil)
		return enginetest.Container{Name: rig.Start(t, dc, spec), Labels: set, Secret: secret}
	}
	wrongPassword := engPassword("redis-wrong")
	enginetest.Run(t, engineHarness(dc), enginetest.Fixture{
		Engine:   eng,
		DumpTool: "redis-cli",
		Start:    start,
		Ready: func(t *testing.T, c enginetest.Container) {
			rig.WaitRedis(t, dc, c.Name)
			// The fresh server's own data, which the restore must replace.
			rig.RedisCLI(t, dc, c.Name, c.Secret, nil, "SET", "only-in-"+c.Name, "1")
		},
		Seed: func(t *testing.T, c enginetest.Container) {
			rig.RedisCLI(t, dc, c.Name, c.Secret, nil, "DEL", "only-in-"+c.Name)
			rig.RedisCLI(t, dc, c.Name, c.Secret, nil, "EVAL", redisSeedScript, "0", "2200", "db0")
			rig.RedisCLI(t, dc, c.Name, c.Secret, nil, "-n", "3", "EVAL", redisSeedScript, "0", "10", "db3")
		},
		Snapshot: func(t *testing.T, c enginetest.Container) string {
			var b strings.Builder
			for _, db := range []string{"0", "3"} {
				b.WriteString("== db " + db + "\n")
				b.WriteString(rig.RedisCLI(t, dc, c.Name, c.Secret, nil, "-n", db, "EVAL", redisSnapshotScript, "0"))
			}
			if !strings.Contains(b.String(), "bulk:2200 string") {
				t.Fatalf("%s lacks the seeded keys:\n%.500s", c.Name, b.String())
			}
			return b.String()
		},
		Failures: []enginetest.Failure{
			{
				Name: "wrong password",
				Prepare: func(t *testing.T, c enginetest.Container) {
					engWriteFile(t, dc, c.Name, "/tmp/wrong_password", wrongPassword)
				},
				Labels:  engWithLabels(eng.Example().Labels, map[string]string{labels.PasswordFile: "/tmp/wrong_password"}),
				Want:    []string{"WRONGPASS", "label " + labels.PasswordFile, "redis-cli"},
				Secrets: []string{wrongPassword},
			},
			{
				Name:   "a database name",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.Database: "3"}),
				Want:   []string{`label baktainer.db.name="3"`, "every database in one RDB file"},
			},
			{
				Name:   "bad compression",
				Labels: engWithLabels(eng.Example().Labels, map[string]string{labels.Compress: "lz4"}),
				Want:   []string{`label baktainer.compress="lz4"`, "must be zstd, gzip, none"},
			},
		},
	})
}

// TestRedisRestoreRefusesAOF: a server that would load its AOF after the restart
// is refused before anything is touched.
func TestRedisRestoreRefusesAOF(t *testing.T) {
	t.Parallel()
	dc := rig.Docker(t)
	name := rig.Start(t, dc, rig.ContainerSpec{Name: "eng-redis-aof", Image: rig.RedisImage, Cmd: []string{"redis-server", "--appendonly", "yes"}})
	rig.WaitRedis(t, dc, name)
	rig.RedisCLI(t, dc, name, "", nil, "SET", "kept", "1")
	c, err := dc.Inspect(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	err = engines.Redis{}.Restore(context.Background(), dc, engines.Target{Container: c}, strings.NewReader("REDIS0010"))
	if err == nil || !strings.Contains(err.Error(), "appendonly yes") || !strings.Contains(err.Error(), name) {
		t.Fatalf("restore into a server with appendonly yes: err = %v, want a refusal naming the container", err)
	}
	if got := strings.TrimSpace(rig.RedisCLI(t, dc, name, "", nil, "GET", "kept")); got != "1" {
		t.Fatalf("the server's data changed: GET kept = %q", got)
	}
	redisCheckNoStagedFiles(t, dc, name)
}

func redisCheckNoStagedFiles(t *testing.T, dc *docker.Client, name string) {
	t.Helper()
	if left := rig.Exec(t, dc, name, nil, nil, "find", "/data", "-name", "baktainer-*"); left != "" {
		t.Errorf("staged files left behind: %s", left)
	}
}
