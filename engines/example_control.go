package engines

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/baktainer/baktainer/labels"
)

// controlOptions are, per engine, dump options an example passes
// (baktainer.db.options); an engine without any takes none.
var controlOptions = map[string][]string{
	"postgres": {"--no-owner", "--exclude-table-data=audit_log"},
	"mysql":    {"--skip-lock-tables", "--ignore-table=app.audit_log"},
	"mariadb":  {"--skip-lock-tables", "--ignore-table=app.audit_log"},
	"mongodb":  {"--excludeCollection=audit_log"},
}

// splits are the engines whose backups can be split per database.
var splits = []string{"postgres", "mysql", "mariadb", "mongodb"}

// ControlExample is e's Example with the labels of what runs around a backup
// (issue #14): two tagged schedules and a once, hooks run in an application
// container that allows them, a worker stopped during the dump, and, where the
// engine has them, dump options and one archive per database. `baktainer labels
// example ENGINE --control` prints it.
func ControlExample(e Engine) Example {
	ex := e.Example()
	ex.ContainerName = "shop-db"
	l := ex.Labels
	l[labels.Schedule] = "0 3 * * *=daily; 0 4 * * 0=weekly"
	l[labels.KeepCount] = "7"
	l[labels.ScheduleOnce] = "2030-01-01T02:00Z=before-upgrade"
	l[labels.HookContainer] = "shop-web"
	l[labels.HookPre] = argvLabel("touch", "/srv/maintenance")
	l[labels.HookPost] = argvLabel("rm", "-f", "/srv/maintenance")
	// No "$" here: compose would substitute it (write "$$" in a compose file).
	l[labels.HookPostFailure] = argvLabel("sh", "-c", "rm -f /srv/maintenance; echo 'the backup failed' >&2")
	l[labels.HookTimeout] = "2m"
	l[labels.StopDuringBackup] = "shop-workers"
	if opts, ok := controlOptions[e.Name()]; ok {
		l[labels.DumpOptions] = argvLabel(opts...)
	}
	if slices.Contains(splits, e.Name()) {
		delete(l, labels.Database)
		l[labels.Split] = "true"
		l[labels.Exclude] = "scratch_*"
	}
	ex.Comment = append(ex.Comment, "",
		"With what runs around its backups: a daily and a weekly series (7 archives each) and one",
		"backup before an upgrade; the web application is put in maintenance mode by hooks run in its",
		"container (which allows it), the worker is stopped during each dump, and, where the engine",
		"has them, dump options and one archive per database (docs/LABELS.md).")
	web := Example{Service: "web", ContainerName: "shop-web", Image: "registry.example/shop-web:1",
		Labels: map[string]string{labels.HookAllow: ex.ContainerName}}
	worker := Example{Service: "worker", Image: "registry.example/shop-worker:1",
		Labels: map[string]string{labels.StopGroup: "shop-workers"}}
	ex.Others = []Example{web, worker}
	return ex
}

// argvLabel is an argv as a JSON array label value, '<', '>' and '&' as
// they are.
func argvLabel(argv ...string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(argv) // a []string always encodes
	return strings.TrimSpace(b.String())
}
