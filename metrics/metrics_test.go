package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/baktainer/baktainer/agent"
)

// fakeSource is the agent's state as a test sets it.
type fakeSource struct {
	targets   []agent.TargetReport
	dests     []agent.DestinationStatus
	connected bool
	lastSync  time.Time
	active    []agent.Attempt
}

func (f *fakeSource) TargetReports(context.Context) []agent.TargetReport { return f.targets }
func (f *fakeSource) DestinationStats(context.Context) []agent.DestinationStatus {
	return f.dests
}
func (f *fakeSource) Connected() (bool, time.Time) { return f.connected, f.lastSync }
func (f *fakeSource) Active() []agent.Attempt      { return f.active }

var t0 = time.Unix(1_800_000_000, 0).UTC()

func fixture() *fakeSource {
	ok := &agent.Attempt{ID: "a1", Name: "shop", Engine: "postgres", Outcome: agent.Succeeded, Queued: t0, Started: t0, Ended: t0.Add(90 * time.Second), SizeBytes: 4096,
		Offsite: &agent.OffsiteCopy{Remote: "https://s3.example.com/backups", Outcome: agent.Succeeded, SentBytes: 4096, DurationSeconds: 1.5}}
	failed := &agent.Attempt{ID: "a2", Name: "crm", Engine: "postgres", Outcome: agent.Failed, Queued: t0, Started: t0.Add(time.Second), Ended: t0.Add(2 * time.Second),
		Error: "pg_dump: FATAL: password authentication failed for user \"app\"", ErrorKind: agent.KindDumpTool}
	return &fakeSource{
		targets: []agent.TargetReport{
			{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "crm", Container: "crm-db-1", Engine: "postgres",
				Schedule: "@daily", Destination: "/backups/crm", NextRun: t0.Add(time.Hour)}, LastFailure: failed},
				State: agent.StateFailing, Overdue: true, Deadline: t0.Add(-time.Hour)},
			{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "shop", Container: "shop-db-1", Engine: "postgres",
				Schedule: "@hourly", Destination: "/backups/shop", NextRun: t0.Add(time.Hour)}, LastSuccess: ok},
				State: agent.StateOK, Deadline: t0.Add(2 * time.Hour), Archives: 3,
				Offsite: &agent.OffsiteReport{Remote: "https://s3.example.com/backups", LastSuccess: t0, Deadline: t0.Add(2 * time.Hour)}},
			{TargetStatus: agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "typo", Container: "typo-1",
				Problem: "label baktainer.schedule=\"x\": not a cron"}}, State: agent.StateInvalid},
		},
		dests:     []agent.DestinationStatus{{Root: "/backups", Archives: 3, ArchiveBytes: 12288, FreeBytes: 1 << 30, TotalBytes: 1 << 34}},
		connected: true, lastSync: t0,
		active: []agent.Attempt{{Outcome: agent.Running}, {Outcome: agent.Queued}, {Outcome: agent.Queued}},
	}
}

func TestStateMetrics(t *testing.T) {
	m := New(fixture())
	want := `
# HELP baktainer_backup_last_success_timestamp_seconds When the last successful backup of the target started (Unix time).
# TYPE baktainer_backup_last_success_timestamp_seconds gauge
baktainer_backup_last_success_timestamp_seconds{container="shop-db-1",name="shop"} 1.8e+09
# HELP baktainer_backup_last_failed 1 when the target's latest finished backup failed, 0 when it succeeded or none finished.
# TYPE baktainer_backup_last_failed gauge
baktainer_backup_last_failed{container="crm-db-1",name="crm"} 1
baktainer_backup_last_failed{container="shop-db-1",name="shop"} 0
# HELP baktainer_backup_overdue 1 when the target's deadline passed without a new successful backup (what /health reports).
# TYPE baktainer_backup_overdue gauge
baktainer_backup_overdue{container="crm-db-1",name="crm"} 1
baktainer_backup_overdue{container="shop-db-1",name="shop"} 0
# HELP baktainer_backup_size_bytes Size of the target's last successful archive (compressed, encrypted: as stored).
# TYPE baktainer_backup_size_bytes gauge
baktainer_backup_size_bytes{container="shop-db-1",name="shop"} 4096
# HELP baktainer_backup_last_duration_seconds How long the target's last successful backup took.
# TYPE baktainer_backup_last_duration_seconds gauge
baktainer_backup_last_duration_seconds{container="shop-db-1",name="shop"} 90
# HELP baktainer_targets Registered targets by state: ok, pending (not backed up yet), failing (the last attempt failed), offsite_failing (made on the host, its off-host copy failed), overdue, invalid (labels wrong).
# TYPE baktainer_targets gauge
baktainer_targets{state="failing"} 1
baktainer_targets{state="invalid"} 1
baktainer_targets{state="offsite_failing"} 0
baktainer_targets{state="ok"} 1
baktainer_targets{state="overdue"} 0
baktainer_targets{state="pending"} 0
# HELP baktainer_target_invalid 1 when the target's labels are wrong, so it is not scheduled.
# TYPE baktainer_target_invalid gauge
baktainer_target_invalid{container="crm-db-1",name="crm"} 0
baktainer_target_invalid{container="shop-db-1",name="shop"} 0
baktainer_target_invalid{container="typo-1",name="typo"} 1
# HELP baktainer_backups_in_flight Backup attempts running now (holding a worker).
# TYPE baktainer_backups_in_flight gauge
baktainer_backups_in_flight 1
# HELP baktainer_backups_queued Backup attempts waiting for a worker.
# TYPE baktainer_backups_queued gauge
baktainer_backups_queued 2
# HELP baktainer_volume_free_bytes Space available to the agent on the file system of a backup destination.
# TYPE baktainer_volume_free_bytes gauge
baktainer_volume_free_bytes{destination="/backups"} 1.073741824e+09
# HELP baktainer_docker_connected 1 while the agent follows the Docker engine's events, 0 while it is disconnected and reconnecting.
# TYPE baktainer_docker_connected gauge
baktainer_docker_connected 1
`
	names := []string{"baktainer_backup_last_success_timestamp_seconds", "baktainer_backup_last_failed", "baktainer_backup_overdue",
		"baktainer_backup_size_bytes", "baktainer_backup_last_duration_seconds", "baktainer_targets", "baktainer_target_invalid",
		"baktainer_backups_in_flight", "baktainer_backups_queued", "baktainer_volume_free_bytes", "baktainer_docker_connected"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestObserverCountsBackups(t *testing.T) {
	src := fixture()
	m := New(src)
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "shop"}})
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "crm"}})
	m.BackupFinished(*src.targets[1].LastSuccess)
	pruned := *src.targets[1].LastSuccess
	pruned.Pruned, pruned.Ended = 2, pruned.Started.Add(3*time.Second)
	m.BackupFinished(pruned)
	m.BackupFinished(*src.targets[0].LastFailure)
	m.Warning(agent.Warning{Message: "skipped"})

	want := `
# HELP baktainer_backups_total Finished backup attempts (each with all its retries), by backup name and outcome (succeeded, failed).
# TYPE baktainer_backups_total counter
baktainer_backups_total{name="crm",outcome="failed"} 1
baktainer_backups_total{name="crm",outcome="succeeded"} 0
baktainer_backups_total{name="shop",outcome="failed"} 0
baktainer_backups_total{name="shop",outcome="succeeded"} 2
# HELP baktainer_backup_failures_total Failed backup attempts by backup name and error kind (labels, dump_tool, timeout, storage, ...; see docs/AGENT.md).
# TYPE baktainer_backup_failures_total counter
baktainer_backup_failures_total{error_kind="dump_tool",name="crm"} 1
# HELP baktainer_retention_removed_total Archives removed by retention after a successful backup, by backup name.
# TYPE baktainer_retention_removed_total counter
baktainer_retention_removed_total{name="crm"} 0
baktainer_retention_removed_total{name="shop"} 2
# HELP baktainer_warnings_total Warnings raised: wrong labels, a skipped run, two containers sharing a backup name, a failed retention.
# TYPE baktainer_warnings_total counter
baktainer_warnings_total 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"baktainer_backups_total", "baktainer_backup_failures_total", "baktainer_retention_removed_total", "baktainer_warnings_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.durations); n != 2 {
		t.Errorf("duration series = %d, want 2 (postgres: succeeded, failed)", n)
	}
}

func TestMetricsAreLintCleanAndCarryNoErrorText(t *testing.T) {
	src := fixture()
	m := New(src)
	m.BackupFinished(*src.targets[0].LastFailure)
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "baktainer_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "baktainer_backups_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("GET /metrics: %d\n%s", rec.Code, body)
	}
	for _, leak := range []string{"password", "FATAL", "not a cron"} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics contains %q: error text in a label", leak)
		}
	}
}

// The off-host copies: each attempt's upload counted by outcome with its bytes
// and duration; the last success, the failing and overdue flags and the
// missing copies read from the target's report.
func TestOffsiteMetrics(t *testing.T) {
	src := fixture()
	src.targets[0].Offsite = &agent.OffsiteReport{Remote: "https://s3.example.com/backups", Failing: true, Overdue: true, Missing: 2}
	m := New(src)
	m.TargetRegistered(agent.TargetStatus{TargetInfo: agent.TargetInfo{Name: "crm"}})
	m.BackupFinished(*src.targets[1].LastSuccess)
	failedCopy := *src.targets[1].LastSuccess
	failedCopy.Offsite = &agent.OffsiteCopy{Outcome: agent.Failed, SentBytes: 100, DurationSeconds: 60, Error: "connection refused"}
	m.BackupFinished(failedCopy)
	want := `
# HELP baktainer_offsite_uploads_total Off-host copies of new archives by backup name and outcome (succeeded, failed; a failure counts after the upload's own retries).
# TYPE baktainer_offsite_uploads_total counter
baktainer_offsite_uploads_total{name="crm",outcome="failed"} 0
baktainer_offsite_uploads_total{name="crm",outcome="succeeded"} 0
baktainer_offsite_uploads_total{name="shop",outcome="failed"} 1
baktainer_offsite_uploads_total{name="shop",outcome="succeeded"} 1
# HELP baktainer_offsite_upload_bytes_total Bytes sent to the off-host storage by backup name, retries and earlier archives caught up included.
# TYPE baktainer_offsite_upload_bytes_total counter
baktainer_offsite_upload_bytes_total{name="shop"} 4196
# HELP baktainer_offsite_last_success_timestamp_seconds When the last backup of the target whose off-host copy succeeded started (Unix time).
# TYPE baktainer_offsite_last_success_timestamp_seconds gauge
baktainer_offsite_last_success_timestamp_seconds{name="shop"} 1.8e+09
# HELP baktainer_offsite_last_failed 1 when the target's latest off-host copy failed (the backup itself was made on the host), 0 when it succeeded.
# TYPE baktainer_offsite_last_failed gauge
baktainer_offsite_last_failed{name="crm"} 1
baktainer_offsite_last_failed{name="shop"} 0
# HELP baktainer_offsite_overdue 1 when the target's off-host copies are past their deadline (the overdue rule of /health, counted from the last copy that succeeded).
# TYPE baktainer_offsite_overdue gauge
baktainer_offsite_overdue{name="crm"} 1
baktainer_offsite_overdue{name="shop"} 0
# HELP baktainer_offsite_missing_archives Archives of the target the latest attempt found without an off-host copy (copied when the server answers again).
# TYPE baktainer_offsite_missing_archives gauge
baktainer_offsite_missing_archives{name="crm"} 2
baktainer_offsite_missing_archives{name="shop"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "baktainer_offsite_uploads_total",
		"baktainer_offsite_upload_bytes_total", "baktainer_offsite_last_success_timestamp_seconds", "baktainer_offsite_last_failed",
		"baktainer_offsite_overdue", "baktainer_offsite_missing_archives"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.offsite.duration); n != 2 {
		t.Errorf("upload duration series = %d, want 2 (succeeded, failed)", n)
	}
	body := testutil.ToFloat64(m.offsite.uploads.WithLabelValues("shop", "failed"))
	if body != 1 {
		t.Errorf("failed uploads of shop = %v", body)
	}
}
