package config

import (
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// Policy is the retention policy of one backup's archives, assembled in one place
// for the agent and the one-shot commands alike: BT_RETENTION_* and
// BT_MIN_FREE_SPACE_GB, then each layer of overrides in turn (a plugin volume's
// options, then the container's baktainer.retention.* labels; or a command's
// flags). In each layer a set value replaces the rule and 0 turns it off.
func (c Config) Policy(layers ...labels.Retention) store.Policy {
	p := c.Retention
	for _, r := range layers {
		p = p.WithOverrides(Overrides(r))
	}
	return p
}

// Overrides turns label-style retention overrides (days and counts) into the
// store's. Days beyond parse.MaxDays, which the parsers never accept, are clamped.
func Overrides(r labels.Retention) store.Overrides {
	o := store.Overrides{MaxCount: r.Count, KeepDaily: r.Daily, KeepWeekly: r.Weekly, KeepMonthly: r.Monthly}
	if r.Days != nil {
		age := parse.DaysDuration(*r.Days)
		o.MaxAge = &age
	}
	return o
}

// RetentionVars are the variables the retention policy is read from.
var RetentionVars = []string{
	"BT_RETENTION_DAYS", "BT_RETENTION_COUNT", "BT_RETENTION_DAILY", "BT_RETENTION_WEEKLY", "BT_RETENTION_MONTHLY", "BT_MIN_FREE_SPACE_GB",
}
