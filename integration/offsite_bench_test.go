//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/bench/sqlgen"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
)

// BenchmarkOffsitePostgresBackup is issue 16's benchmark: a whole backup of a
// Postgres database whose pg_dump is about BENCH_DUMP_MB (default 2048) MiB of
// realistic SQL (bench/sqlgen's shop, loaded into the database), run by the
// real agent binary through docker exec, local only against the same backup
// with the off-host copy on (a SeaweedFS S3 server on this machine), the two
// alternating BENCH_REPS times (default 3); BENCH_AGENT_GOMEMLIMIT sets the
// agent's GOMEMLIMIT. Each backup runs in a fresh agent
// process, so its peak RSS (VmHWM) is that backup's. It reports the median of
// each attempt's duration (dump, commit, retention, and the copy) and the
// largest peak RSS. Run by `make bench` (scripts/bench-offsite.sh); not part
// of `make test`.
func BenchmarkOffsitePostgresBackup(b *testing.B) {
	dumpMB := benchEnvInt("BENCH_DUMP_MB", 2048)
	reps := benchEnvInt("BENCH_REPS", 3)
	dc := rig.Docker(b)
	run := rig.RunID()
	pg := rig.StartPostgres(b, dc, rig.ContainerSpec{Name: "offsite-bench-pg",
		Env: []string{"POSTGRES_PASSWORD=bench-Secret-1", "POSTGRES_DB=app"},
		Labels: map[string]string{labels.Backup: "true", labels.Engine: "postgres", labels.Database: "app",
			labels.Name: "shop", rig.RunLabel: run}})
	started := time.Now()
	benchLoadShop(b, dc, pg, int64(dumpMB)<<20)
	b.Logf("loaded %d MiB of generated SQL into %s in %s", dumpMB, pg, time.Since(started).Round(time.Second))
	benchVacuum(b, dc, pg) // hint bits set now, not by the first measured dump
	s3 := rig.SharedS3(b)
	bucket := s3.Bucket(b)

	modes := []struct {
		name string
		env  []string
	}{
		{"local-only", nil},
		{"with-copy", []string{"BT_S3_ENDPOINT=" + s3.Endpoint(), "BT_S3_BUCKET=" + bucket, "BT_S3_REGION=us-east-1",
			"BT_S3_ACCESS_KEY=" + s3.AccessKey, "BT_S3_SECRET_KEY=" + s3.SecretKey, "BT_S3_INSECURE=true", "BT_S3_RETENTION_COUNT=1"}},
	}
	seconds, cpu := map[string][]float64{}, map[string][]float64{}
	peak := map[string]int64{}
	var last agent.Attempt
	for b.Loop() {
		for range reps {
			for _, m := range modes {
				att, use := benchAgentBackup(b, run, pg, m.env)
				hwm := use.peakKiB
				if att.Outcome != agent.Succeeded || (m.env != nil && !att.Offsite.Succeeded()) {
					b.Fatalf("%s: %+v, copy %+v", m.name, att, att.Offsite)
				}
				seconds[m.name] = append(seconds[m.name], att.Duration().Seconds())
				cpu[m.name] = append(cpu[m.name], use.cpu.Seconds())
				peak[m.name] = max(peak[m.name], hwm)
				b.Logf("%s: %.2f s, agent CPU %.2f s, peak RSS %.1f MiB, dump %d bytes, archive %d bytes, load average %s, copy %+v", m.name,
					att.Duration().Seconds(), use.cpu.Seconds(), float64(hwm)/1024, att.DumpBytes, att.SizeBytes, benchLoadAverage(), att.Offsite)
				last = att
			}
		}
	}
	med := func(s []float64) float64 { s = slices.Clone(s); slices.Sort(s); return s[len(s)/2] }
	local, copied := med(seconds["local-only"]), med(seconds["with-copy"])
	b.ReportMetric(local, "local-only-s")
	b.ReportMetric(copied, "with-copy-s")
	b.ReportMetric(copied/local, "ratio")
	b.ReportMetric(float64(peak["with-copy"])/1024, "with-copy-peak-RSS-MiB")
	b.ReportMetric(med(cpu["with-copy"])-med(cpu["local-only"]), "copy-agent-CPU-s")
	fmt.Printf("postgres dump %d bytes, archive %d bytes; median of %d: local only %.2f s (%v), with the off-host copy %.2f s (%v), ratio %.3f; agent CPU (median) local only %.2f s, with the copy %.2f s; peak RSS local only %.1f MiB, with the copy %.1f MiB; load average %s\n",
		last.DumpBytes, last.SizeBytes, len(seconds["local-only"]), local, seconds["local-only"], copied, seconds["with-copy"], copied/local,
		med(cpu["local-only"]), med(cpu["with-copy"]),
		float64(peak["local-only"])/1024, float64(peak["with-copy"])/1024, benchLoadAverage())
}

// benchLoadShop loads about size bytes of bench/sqlgen's shop into the
// database app, in one transaction, through psql in the container; the input
// ends at the end of a COPY block.
func benchLoadShop(b *testing.B, dc *docker.Client, pg string, size int64) {
	b.Helper()
	schema := `CREATE TABLE customers (id bigint PRIMARY KEY, uuid uuid, first_name text, last_name text, email text, phone text,
  city text, country text, created_at timestamptz, balance numeric(10,2), active boolean);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text, total numeric(10,2), currency text,
  placed_at timestamptz, shipped_at timestamptz, note text);
CREATE TABLE order_lines (order_id bigint, line int, sku text, description text, quantity int, unit_price numeric(10,2));
BEGIN;
`
	pr, pw := io.Pipe()
	go func() {
		_, err := io.WriteString(pw, schema)
		if err == nil {
			err = benchCopyBlocks(pw, size)
		}
		if err == nil {
			_, err = io.WriteString(pw, "COMMIT;\n")
		}
		pw.CloseWithError(err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var out strings.Builder
	err := dc.Exec(ctx, docker.ExecSpec{Container: pg, Cmd: []string{"psql", "-U", "postgres", "-d", "app", "--quiet", "--set=ON_ERROR_STOP=1"},
		Stdin: pr, Stdout: &out})
	if err != nil {
		b.Fatalf("load the shop: %v\n%.2000s", err, out.String())
	}
}

// benchVacuum vacuums the loaded database, so that no measured backup pays
// for the first reading of freshly loaded rows.
func benchVacuum(b *testing.B, dc *docker.Client, pg string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var out strings.Builder
	err := dc.Exec(ctx, docker.ExecSpec{Container: pg, Cmd: []string{"psql", "-U", "postgres", "-d", "app", "--quiet", "-c", "VACUUM ANALYZE"},
		Stdout: &out})
	if err != nil {
		b.Fatalf("vacuum: %v\n%.2000s", err, out.String())
	}
}

// benchLoadAverage is the machine's 1, 5 and 15 minute load averages: the
// machine is shared, and a figure means little without them.
func benchLoadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(raw)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// benchCopyBlocks writes sqlgen's text up to the first end of a COPY block at
// or after size bytes.
func benchCopyBlocks(w io.Writer, size int64) error {
	r := bufio.NewReaderSize(sqlgen.Reader(1), 1<<20)
	bw := bufio.NewWriterSize(w, 1<<20)
	var n int64
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "SET statement_timeout") {
			continue // not inside a transaction's script
		}
		k, err := bw.WriteString(line)
		if err != nil {
			return err
		}
		if n += int64(k); n >= size && line == "\\.\n" {
			return bw.Flush()
		}
	}
}

// benchAgentBackup starts the agent binary with env, has it back pg up once,
// and returns the finished attempt and what the agent process used; the agent
// is stopped and its archives removed.
func benchAgentBackup(b *testing.B, run, pg string, env []string) (agent.Attempt, benchUsage) {
	b.Helper()
	dir, err := os.MkdirTemp("", "baktainer-bench-offsite-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	port := strconv.Itoa(benchFreePort(b))
	cmd := exec.Command(storeBinary(b), "agent")
	cmd.Env = append(append(os.Environ(), "BT_BACKUP_DIR="+dir, "BT_STATE_DIR="+filepath.Join(dir, ".state"),
		"BT_SELECTOR="+rig.RunLabel+"="+run, "BT_CRON=@yearly", "BT_HEALTH_PORT="+port, "BT_LOG_LEVEL=warn",
		"BT_BACKUP_TIMEOUT=30m"), env...)
	if limit := os.Getenv("BENCH_AGENT_GOMEMLIMIT"); limit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+limit) // the agent's only, not the S3 server's
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://127.0.0.1:" + port
	var att agent.Attempt
	deadline := time.Now().Add(time.Minute)
	for {
		code := benchPost(base+"/api/v1/backups", `{"container":"`+pg+`"}`, &att)
		if code == http.StatusAccepted {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the agent never took the backup (last %d):\n%s", code, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for deadline := time.Now().Add(30 * time.Minute); !att.Outcome.Final(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("backup %s not done after 30m:\n%s", att.ID, logs.String())
		}
		apiQuiet(base+"/api/v1/backups/"+att.ID, &att)
	}
	use := benchUsage{peakKiB: benchPeakRSS(b, cmd.Process.Pid)}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	use.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return att, use
}

// benchUsage is what one agent process used for one backup: its peak RSS and
// its CPU time (user and system; the dump tool and the S3 server not included,
// so the copy's CPU is what the backup host pays with the server elsewhere).
type benchUsage struct {
	peakKiB int64
	cpu     time.Duration
}

func benchPost(url, body string, out any) int {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(raw, out); err != nil {
			return 0
		}
	}
	return resp.StatusCode
}

// benchPeakRSS is a process's peak resident set size (VmHWM) in KiB.
func benchPeakRSS(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	b.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchFreePort(b *testing.B) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
