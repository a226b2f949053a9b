package agent

import (
	"encoding/json"
	"testing"
	"time"
)

// A journal's lines are those the history wrote before the journal served both
// kinds of work: files written by earlier agents read back, and the other way.
func TestJournalLinesKeepTheirFormat(t *testing.T) {
	j := &journal[Attempt]{field: "attempt"}
	a := Attempt{ID: "x", Name: "shop", Outcome: Failed, Queued: time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC), Error: `a "quoted" <error> & more`}
	got, err := j.line("started", a)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(struct {
		Event   string  `json:"event"`
		Attempt Attempt `json:"attempt"`
	}{"started", a})
	if string(got) != string(want)+"\n" {
		t.Errorf("line\n%s\nwant\n%s", got, want)
	}
	event, back, err := j.parse(got)
	if err != nil || event != "started" || back.ID != a.ID || back.Error != a.Error || !back.Queued.Equal(a.Queued) {
		t.Errorf("parse: %q %+v %v", event, back, err)
	}
}
