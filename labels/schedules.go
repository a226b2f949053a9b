package labels

import (
	"fmt"
	"strings"
	"time"
)

// ScheduleSeparator separates the expressions of baktainer.schedule.
const ScheduleSeparator = ";"

// maxSchedules caps the expressions of one baktainer.schedule.
const maxSchedules = 16

// onceLayouts are the forms baktainer.schedule.once accepts: RFC 3339 with or
// without seconds, always with a zone (Z or ±hh:mm), so it means one instant.
var onceLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00"}

// OnceLayout is how Spec.Labels writes baktainer.schedule.once.
const OnceLayout = time.RFC3339

// ParseSchedules reads a baktainer.schedule value: cron expressions or
// descriptors separated by ';', each optionally followed by "=tag".
func ParseSchedules(v string) ([]ScheduleEntry, error) {
	var out []ScheduleEntry
	for i, part := range strings.Split(v, ScheduleSeparator) {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("schedule %d of the list is empty (two ';', or one at an end)", i+1)
		}
		expr, tag, _ := strings.Cut(part, "=")
		expr, tag = strings.TrimSpace(expr), strings.TrimSpace(tag)
		if strings.Contains(part, "=") {
			if err := Tag(tag); err != nil {
				return nil, fmt.Errorf("%q: %w", part, err)
			}
		}
		if _, err := ParseSchedule(expr); err != nil {
			return nil, fmt.Errorf("%q is not a 5-field cron expression or @daily-style descriptor (%v)", expr, err)
		}
		for _, seen := range out {
			if seen.Expr == expr && seen.Tag == tag {
				return nil, fmt.Errorf("%q is listed twice", part)
			}
		}
		out = append(out, ScheduleEntry{Expr: expr, Tag: tag})
	}
	if len(out) > maxSchedules {
		return nil, fmt.Errorf("lists more than %d schedules", maxSchedules)
	}
	return out, nil
}

// schedules reads baktainer.schedule.
func (p *parser) schedules() []ScheduleEntry {
	v := strings.TrimSpace(p.labels[Schedule]) // an empty value is text's to report
	if v == "" {
		return nil
	}
	entries, err := ParseSchedules(v)
	if err != nil {
		p.fail(Schedule, v, err.Error())
		return nil
	}
	return entries
}

// ParseOnce reads a baktainer.schedule.once value: an instant with its zone,
// optionally followed by "=tag".
func ParseOnce(v string) (Once, error) {
	at, tag, tagged := strings.Cut(strings.TrimSpace(v), "=")
	at, tag = strings.TrimSpace(at), strings.TrimSpace(tag)
	if tagged {
		if err := Tag(tag); err != nil {
			return Once{}, err
		}
	}
	for _, layout := range onceLayouts {
		if t, err := time.Parse(layout, at); err == nil {
			return Once{At: t.UTC(), Tag: tag}, nil
		}
	}
	return Once{}, fmt.Errorf("%q must be a time with its zone, e.g. 2026-12-01T03:00Z or 2026-12-01T04:00+01:00", at)
}

// once reads baktainer.schedule.once. A time already past is kept, with a
// warning: the agent never runs it.
func (p *parser) once() *Once {
	v := p.text(ScheduleOnce)
	if v == "" {
		return nil
	}
	o, err := ParseOnce(v)
	if err != nil {
		p.fail(ScheduleOnce, v, err.Error())
		return nil
	}
	if o.At.Before(time.Now()) {
		p.warn(ScheduleOnce, "names a time already past: that backup will not run")
	}
	return &o
}

// String is the label value of o.
func (o Once) String() string {
	s := o.At.UTC().Format(OnceLayout)
	if o.Tag != "" {
		s += "=" + o.Tag
	}
	return s
}
