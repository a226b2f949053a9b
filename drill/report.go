package drill

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/store"
)

// Report is what a test-restore did and found.
type Report struct {
	Archive   string
	SHA256    string // of the archive that was opened (and verified as it streamed)
	Engine    string
	Database  string
	Image     string
	Container string // the scratch container's name
	Started   time.Time
	Duration  time.Duration
	// Expected is what the checks compared with: the counts recorded at backup,
	// else (an archive without them) the dump's own, counted as it streamed in.
	Expected     *store.Contents
	ExpectedFrom string
	Restored     *store.Contents
	Checks       []engines.Check
}

// Passed reports whether the test-restore ran and every check passed.
func (r *Report) Passed() bool { return r.err() == nil && len(r.Checks) > 0 }

// Failed returns the checks that failed.
func (r *Report) Failed() []engines.Check {
	var failed []engines.Check
	for _, c := range r.Checks {
		if !c.Passed() {
			failed = append(failed, c)
		}
	}
	return failed
}

// add records a check and returns its failure, if it failed.
func (r *Report) add(c engines.Check) error {
	r.Checks = append(r.Checks, c)
	if c.Err != nil {
		return &CheckError{Check: c.Name, Err: c.Err}
	}
	return nil
}

// fail records a failed step as a check and returns it as the error.
func (r *Report) fail(step string, err error) error {
	return r.add(engines.Check{Name: step, Err: err})
}

// err is the first failed check, as an error naming it.
func (r *Report) err() error {
	var errs []error
	for _, c := range r.Failed() {
		errs = append(errs, &CheckError{Check: c.Name, Err: c.Err})
	}
	return errors.Join(errs...)
}

// CheckError is a failed check of a test-restore.
type CheckError struct {
	Check string
	Err   error
}

func (e *CheckError) Error() string { return "check " + e.Check + " failed: " + e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// expected chooses what the restored data is compared with, recording the
// comparison of the recorded counts with the dump's own as a check of its own:
// an archive whose content differs from what was counted at backup fails it.
func (r *Report) expected(streamed *store.Contents, countErr error) *store.Contents {
	if r.Expected == nil {
		r.Expected, r.ExpectedFrom = streamed, "the dump, counted as it streamed in (the archive records no counts)"
		return r.Expected
	}
	r.ExpectedFrom = "the counts recorded at backup"
	check := engines.Check{Name: "dump matches the counts recorded at backup"}
	switch {
	case countErr != nil:
		check.Err = countErr
	default:
		if diff := firstDifference(r.Expected, streamed); diff != "" {
			check.Err = errors.New(diff)
		} else {
			check.Detail = "same databases, tables, rows and keys"
		}
	}
	_ = r.add(check)
	return r.Expected
}

// firstDifference describes the first difference between two counts; "" if none.
func firstDifference(recorded, streamed *store.Contents) string {
	var diffs []string
	for _, c := range engines.CompareContents(recorded, streamed) {
		if c.Err != nil {
			msg := strings.NewReplacer("expected", "counted at backup", "the restored table has", "the archive's dump holds",
				"the restored database has", "the archive's dump holds", "missing after the restore", "not in the archive's dump").Replace(c.Err.Error())
			diffs = append(diffs, c.Name+": "+msg)
		}
	}
	for _, d := range streamed.Databases {
		if _, ok := recorded.Database(d.Name); !ok {
			diffs = append(diffs, "database "+d.Name+": in the archive's dump, not in the recorded counts")
		}
	}
	if len(diffs) > 3 {
		diffs = append(diffs[:3], fmt.Sprintf("and %d more", len(diffs)-3))
	}
	return strings.Join(diffs, "; ")
}

// Write prints the report: a line per check, then the verdict.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "test-restore of %s\n", r.Archive)
	fmt.Fprintf(w, "  engine %s, database %s, image %s, scratch container %s\n", r.Engine, r.Database, r.Image, r.Container)
	if r.ExpectedFrom != "" {
		fmt.Fprintf(w, "  compared with %s\n", r.ExpectedFrom)
	}
	for _, c := range r.Checks {
		switch {
		case c.Err != nil:
			fmt.Fprintf(w, "FAIL  %s: %v\n", c.Name, c.Err)
		case c.Skipped:
			fmt.Fprintf(w, "SKIP  %s: %s\n", c.Name, c.Detail)
		default:
			fmt.Fprintf(w, "OK    %s (%s)\n", c.Name, c.Detail)
		}
	}
	failed := len(r.Failed())
	verdict := "PASSED"
	if failed > 0 || len(r.Checks) == 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %d check(s), %d failed, in %s\n", verdict, len(r.Checks), failed, r.Duration.Round(100*time.Millisecond))
}
