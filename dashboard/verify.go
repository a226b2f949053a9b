package dashboard

import "github.com/baktainer/baktainer/agent"

// The dashboard's part of test-restores: a badge per archive, the target's
// test-restore state, and a button that posts to POST /api/v1/verify.

// canTestRestore says whether t's test-restore button is on: its labels are
// valid and none of its test-restores is queued or running. Targets without
// scheduled test-restores may be tested too.
func canTestRestore(t agent.TargetReport) bool {
	return t.State != agent.StateInvalid && (t.TestRestore == nil || t.TestRestore.Active == nil)
}

// restoreBadge names an archive's test-restore state for people.
func restoreBadge(state string) string {
	switch state {
	case agent.RestorePassed:
		return "restore-verified"
	case agent.RestoreFailed:
		return "test-restore failed"
	}
	return "untested"
}
