package labels

import (
	"encoding/json"
	"strconv"
	"strings"

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
	s.controlLabels(text, flag)
	return out
}

// controlLabels writes the labels of issue #14.
func (s Spec) controlLabels(text func(label, v string), flag func(label string, b bool)) {
	argv := func(label string, words []string) {
		if words != nil {
			b, _ := json.Marshal(words) // a []string always marshals
			text(label, string(b))
		}
	}
	argv(HookPre, s.Hooks.Pre)
	argv(HookPost, s.Hooks.Post)
	argv(HookPostFailure, s.Hooks.PostFailure)
	text(HookContainer, s.Hooks.Container)
	if s.Hooks.Timeout != 0 {
		text(HookTimeout, s.Hooks.Timeout.String())
	}
	text(HookAllow, strings.Join(s.HookAllow, ","))
	text(StopDuringBackup, s.StopDuringBackup)
	text(StopGroup, s.StopGroup)
	argv(DumpOptions, s.DumpOptions)
	text(Include, strings.Join(s.Include, ","))
	text(Exclude, strings.Join(s.Exclude, ","))
	flag(Split, s.Split)
	if s.Once != nil {
		text(ScheduleOnce, s.Once.String())
	}
}
