package labels

import (
	"strconv"

	"github.com/baktainer/baktainer/parse"
)

// Labels returns the labels Parse reads back as s (its Warnings aside): the
// canonical form of a spec. FuzzLabels holds Parse to it.
func (s Spec) Labels() map[string]string {
	out := map[string]string{}
	text := func(label, v string) {
		if _, quoted := parse.Unquote(v); quoted {
			v = `"` + v + `"` // Parse takes one pair of quotes off
		}
		if v != "" {
			out[label] = v
		}
	}
	flag := func(label string, b bool) {
		if b {
			out[label] = "true"
		}
	}
	count := func(label string, n *int) {
		if n != nil {
			out[label] = strconv.Itoa(*n)
		}
	}
	flag(Backup, s.Backup)
	text(Engine, s.Engine)
	text(Database, s.Database)
	text(User, s.User)
	text(Password, s.Password)
	text(PasswordFile, s.PasswordFile)
	flag(All, s.All)
	text(Name, s.Name)
	text(Compress, s.Compress)
	text(Schedule, s.Schedule)
	flag(OnStart, s.OnStart)
	text(VerifySchedule, s.VerifySchedule)
	text(Volume, s.Volume)
	count(KeepDays, s.Retention.Days)
	count(KeepCount, s.Retention.Count)
	count(KeepDaily, s.Retention.Daily)
	count(KeepWeekly, s.Retention.Weekly)
	count(KeepMonthly, s.Retention.Monthly)
	return out
}
