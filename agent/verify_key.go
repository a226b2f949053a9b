package agent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baktainer/baktainer/atomicfile"
	"github.com/baktainer/baktainer/store"
)

// sealKeyFile holds the key the agent seals passed test-restores with
// (store.RestoreVerification): in the state directory, never on a backup volume,
// so whoever can write a volume cannot forge a "restore-verified" archive.
const sealKeyFile = "test-restore.key"

// sweepTimeout bounds the start's sweep of scratch containers.
const sweepTimeout = 2 * time.Minute

// startTestRestores prepares test-restores at the agent's start (the state
// directory is locked): the seal key, the history, and the removal of the scratch
// containers an earlier run of this agent left (killed mid-test-restore).
func (a *Agent) startTestRestores(ctx context.Context) error {
	v := a.verify
	key, err := loadSealKey(a.cfg.StateDir)
	if err != nil {
		return err
	}
	v.key = key
	v.owner = ownerOf(key)
	h, interrupted, err := openTestRestoreHistory(a.cfg.StateDir, a.cfg.HistoryKeep, a.log)
	if err != nil {
		return err
	}
	v.history = h
	for _, tr := range interrupted {
		a.log.WithFields(map[string]any{"name": tr.Name, "test_restore": tr.ID}).
			Warn("a test-restore was interrupted by the agent's previous stop; recorded as cancelled")
	}
	a.sweepScratch(ctx)
	return nil
}

// sweepScratch removes this agent's leftover scratch containers, and anyone's
// past their deadline.
func (a *Agent) sweepScratch(ctx context.Context) {
	if a.verify.restorer == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	defer cancel()
	removed, err := a.verify.restorer.Sweep(sctx, a.verify.owner, time.Now())
	for _, name := range removed {
		a.log.WithField("scratch", name).Warn("removed a scratch container a test-restore left behind (its agent was killed or its deadline passed)")
	}
	if err != nil {
		a.log.Warnf("removing leftover scratch containers: %v", err)
	}
}

// ownerOf names this agent's scratch containers (drill.LabelOwner): a restarted
// agent with the same state directory removes its own leftovers at once, and
// leaves other agents' running test-restores on the same engine alone.
func ownerOf(key []byte) string {
	sum := sha256.Sum256(append([]byte("baktainer scratch owner\x00"), key...))
	return "agent-" + hex.EncodeToString(sum[:6])
}

// loadSealKey reads the seal key from dir, creating it on first use. A key file
// that is not a regular file of the right content is an error, never replaced:
// replacing it would silently distrust every recorded test-restore.
func loadSealKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, sealKeyFile)
	key, err := readSealKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, store.SealKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err = atomicfile.Write(path, sealKeyFile+".tmp-", 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, hex.EncodeToString(key)+"\n")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("test-restore seal key %s: %w", path, err)
	}
	return key, nil
}

func readSealKey(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > 4*store.SealKeySize {
		return nil, fmt.Errorf("test-restore seal key %s is not a small regular file: move it away (test-restores then start over)", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("test-restore seal key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != store.SealKeySize {
		return nil, fmt.Errorf("test-restore seal key %s is not %d hex bytes: move it away (test-restores then start over)", path, store.SealKeySize)
	}
	return key, nil
}

// ScratchOwner is the value of drill.LabelOwner on this agent's scratch
// containers (`docker ps --filter label=baktainer.scratch.owner=...`); "" before
// Run.
func (a *Agent) ScratchOwner() string { return a.verify.owner }
