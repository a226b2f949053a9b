//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/store"
)

// BenchmarkStorePostgresBackup times a whole backup of a pgbench-initialised
// Postgres (PGBENCH_SCALE, default 30), as the agent runs it: agent.RunBackup with
// zstd + age + SHA-256 into an archive, against the engine's dump tool run through
// the same exec API with its output discarded. It is `make bench`'s, not part of
// `make test` (benchmarks run only with -bench).
//
// The container carries baktainer.db.all=true: with an engine that dumps all
// databases (pg_dumpall) that is what both sides run; with one that does not yet,
// both run pg_dump of the one database. The baseline follows what the archive
// holds, so the comparison stays like for like either way.
func BenchmarkStorePostgresBackup(b *testing.B) {
	scale := 30
	if v, err := strconv.Atoi(os.Getenv("PGBENCH_SCALE")); err == nil && v > 0 {
		scale = v
	}
	reps := 3
	if v, err := strconv.Atoi(os.Getenv("BENCH_REPS")); err == nil && v > 0 {
		reps = v
	}
	ctx := context.Background()
	dc := rig.Docker(b)
	run := rig.RunID()
	name := rig.StartPostgres(b, dc, rig.ContainerSpec{
		Name: "store-bench-pg",
		Env:  []string{"POSTGRES_PASSWORD=bench-Secret-1", "POSTGRES_DB=bench"},
		Labels: map[string]string{
			"baktainer.backup": "true", "baktainer.db.engine": "postgres", "baktainer.db.all": "true", rig.RunLabel: run,
		},
	})
	started := time.Now()
	rig.Exec(b, dc, name, nil, nil, "pgbench", "-i", "-q", "-s", strconv.Itoa(scale), "-U", "postgres", "bench")
	rig.Psql(b, dc, name, "postgres", "postgres", "CREATE DATABASE shop;")
	rig.Psql(b, dc, name, "postgres", "shop", "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 100000) g;")
	b.Logf("pgbench -i -s %d and a second database in %s", scale, time.Since(started).Round(time.Second))

	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := store.RecipientEncryption("bench", []string{id.Recipient().String()})
	if err != nil {
		b.Fatal(err)
	}
	target, eng, err := agent.Resolve(ctx, dc, engines.Default(), name)
	if err != nil {
		b.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	root := b.TempDir()
	backup := func() agent.Result {
		res, err := agent.RunBackup(ctx, dc, logrus.NewEntry(log), agent.Job{
			Target: target, Engine: eng, Root: root,
			Options: store.Options{Compression: store.Zstd, Encryption: enc},
		})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}

	// One backup first: it tells which dump tool the engine runs for this target.
	first := backup()
	baseline := []string{"pg_dump", "--username", "postgres", "--dbname", "bench", "--clean", "--if-exists"}
	if storeClusterDump(b, first.Path, id) {
		baseline = []string{"pg_dumpall", "--username", "postgres", "--clean", "--if-exists"}
	}
	b.Logf("the engine's dump: %d bytes, archive %d bytes; baseline: %v", first.Meta.DumpSize, first.Meta.Size, baseline)
	storeRemoveArchive(first.Path)

	var withStore, discarded, cpuStore, cpuDiscard []float64
	for b.Loop() {
		for i := 0; i < reps; i++ {
			start, cpu := time.Now(), storeCPUSeconds()
			if err := dc.Exec(ctx, docker.ExecSpec{Container: name, Cmd: baseline, Stdout: io.Discard}); err != nil {
				b.Fatal(err)
			}
			discarded = append(discarded, time.Since(start).Seconds())
			cpuDiscard = append(cpuDiscard, storeCPUSeconds()-cpu)

			start, cpu = time.Now(), storeCPUSeconds()
			res := backup()
			withStore = append(withStore, time.Since(start).Seconds())
			cpuStore = append(cpuStore, storeCPUSeconds()-cpu)
			storeRemoveArchive(res.Path)
		}
	}
	slices.Sort(cpuStore)
	slices.Sort(cpuDiscard)
	slices.Sort(withStore)
	slices.Sort(discarded)
	med := func(s []float64) float64 { return s[len(s)/2] }
	b.ReportMetric(med(discarded), "dump-discarded-s")
	b.ReportMetric(med(withStore), "backup-s")
	b.ReportMetric(med(withStore)/med(discarded), "ratio")
	b.ReportMetric(float64(first.Meta.DumpSize)/med(withStore)/1e6, "backup-MB/s")
	b.ReportMetric(med(cpuStore), "backup-cpu-s")
	b.ReportMetric(med(cpuDiscard), "dump-discarded-cpu-s")
	fmt.Printf("postgres scale %d, %s: dump %d bytes; median of %d: %v discarded %.2fs, baktainer backup (zstd+age+sha256) %.2fs, ratio %.3f\n",
		scale, baseline[0], first.Meta.DumpSize, len(withStore), baseline[0], med(discarded), med(withStore), med(withStore)/med(discarded))
}

// storeCPUSeconds returns the CPU time this process has used (the test's own side
// of the exec stream: demultiplexing and, for a backup, the whole store pipeline).
func storeCPUSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// storeClusterDump reports whether the archive holds pg_dumpall output.
func storeClusterDump(b *testing.B, path string, id age.Identity) bool {
	r, err := store.Open(path, id)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(r, head)
	return bytes.Contains(head[:n], []byte("PostgreSQL database cluster dump"))
}

func storeRemoveArchive(path string) {
	for _, ext := range []string{"", store.ChecksumExt, store.MetaExt} {
		_ = os.Remove(path + ext)
	}
}
