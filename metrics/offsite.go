package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/baktainer/baktainer/agent"
)

// The off-host copies' metrics (issue #16), per backup name. The counters and
// the histogram follow each finished attempt; the state is read at scrape time
// from the target's report.
var (
	offsiteLastSuccessDesc = desc("offsite_last_success_timestamp_seconds", "When the last backup of the target whose off-host copy succeeded started (Unix time).", "name")
	offsiteLastFailedDesc  = desc("offsite_last_failed", "1 when the target's latest off-host copy failed (the backup itself was made on the host), 0 when it succeeded.", "name")
	offsiteOverdueDesc     = desc("offsite_overdue", "1 when the target's off-host copies are past their deadline (the overdue rule of /health, counted from the last copy that succeeded).", "name")
	offsiteMissingDesc     = desc("offsite_missing_archives", "Archives of the target the latest attempt found without an off-host copy (copied when the server answers again).", "name")
	offsiteDescs           = []*prometheus.Desc{offsiteLastSuccessDesc, offsiteLastFailedDesc, offsiteOverdueDesc, offsiteMissingDesc}
)

// offsiteMetrics count the uploads as attempts finish.
type offsiteMetrics struct {
	uploads  *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newOffsiteMetrics() offsiteMetrics {
	return offsiteMetrics{
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "offsite_uploads_total",
			Help: "Off-host copies of new archives by backup name and outcome (succeeded, failed; a failure counts after the upload's own retries)."},
			[]string{"name", "outcome"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "offsite_upload_bytes_total",
			Help: "Bytes sent to the off-host storage by backup name, retries and earlier archives caught up included."},
			[]string{"name"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "offsite_upload_duration_seconds",
			Help: "How long the off-host copy of an attempt's archive took after its local commit (most of it is sent while the archive is written), by outcome.", Buckets: durationBuckets},
			[]string{"outcome"}),
	}
}

func (o offsiteMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{o.uploads, o.bytes, o.duration}
}

// finished counts an attempt's copy, when it had one.
func (o offsiteMetrics) finished(a agent.Attempt) {
	c := a.Offsite
	if c == nil {
		return
	}
	o.uploads.WithLabelValues(a.Name, string(c.Outcome)).Inc()
	o.bytes.WithLabelValues(a.Name).Add(float64(c.SentBytes))
	o.duration.WithLabelValues(string(c.Outcome)).Observe(c.DurationSeconds)
}

// registered starts a target's counters at zero, so its first failure is an
// increase alerts see.
func (o offsiteMetrics) registered(name string) {
	for _, outcome := range []agent.Outcome{agent.Succeeded, agent.Failed} {
		o.uploads.WithLabelValues(name, string(outcome))
	}
}

// collectOffsite sends a target's off-host state.
func collectOffsite(gauge func(*prometheus.Desc, float64, ...string), t agent.TargetReport) {
	o := t.Offsite
	if o == nil {
		return
	}
	if !o.LastSuccess.IsZero() {
		gauge(offsiteLastSuccessDesc, unix(o.LastSuccess), t.Name)
	}
	gauge(offsiteLastFailedDesc, boolValue(o.Failing), t.Name)
	gauge(offsiteOverdueDesc, boolValue(o.Overdue), t.Name)
	gauge(offsiteMissingDesc, float64(o.Missing), t.Name)
}
