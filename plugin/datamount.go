package plugin

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baktainer/baktainer/atomicfile"
)

// The engine's quirk this file guards against: after `docker plugin upgrade`,
// dockerd 20.10 mounts config.json's default mount sources again (while `docker
// plugin inspect` still shows the user's settings). A plugin whose data.source
// was set would come back on an empty /var/lib/baktainer, and quietly start a
// second, empty set of volumes there.
//
// So the data mount carries an identity (dataMarker, made once), and the
// propagated mount — which belongs to the installed plugin, survives disable,
// enable, daemon restarts and upgrades, and is deleted only with the plugin —
// remembers the identity it was last served with (seenMarker). A plugin that
// finds another data mount than the one it remembers refuses to serve it.
const (
	dataMarker = "baktainer-data.json"  // on the data mount
	seenMarker = ".baktainer-data.json" // on the propagated mount (no volume name starts with '.')
)

// ErrDataMountChanged: the data mount is not the one the installed plugin used.
var ErrDataMountChanged = errors.New("plugin: the data mount is not the one this plugin kept its volumes on")

// dataIdentity names one data directory.
type dataIdentity struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Source is where the data mount came from (seen marker only): its path in
	// its filesystem and the filesystem's device, from /proc/self/mountinfo.
	Source string `json:"source,omitempty"`
}

// CheckDataMount makes sure the plugin serves the data mount it served before:
// it fails with ErrDataMountChanged, writing nothing, when the propagated mount
// remembers another one. Otherwise it gives the data mount an identity if it has
// none (first start) and remembers it on the propagated mount.
func CheckDataMount(dataDir, mountDir string) error {
	for _, dir := range []string{dataDir, mountDir} { // what a crash inside writeIdentity left
		leftovers, _ := filepath.Glob(filepath.Join(dir, stateTempPrefix+"marker-*"))
		for _, p := range leftovers {
			_ = os.Remove(p)
		}
	}
	m, err := readDataMount(dataDir, mountDir)
	if err != nil {
		return err
	}
	if err := m.changed(); err != nil {
		return err
	}
	data := m.data
	if !m.hasData {
		data = dataIdentity{ID: newID(), Created: time.Now().UTC().Truncate(time.Second)}
		if err := writeIdentity(filepath.Join(dataDir, dataMarker), data); err != nil {
			return err
		}
	}
	if !m.hasSeen || m.seen.Source != m.source {
		data.Source = m.source
		if err := writeIdentity(filepath.Join(mountDir, seenMarker), data); err != nil {
			return err
		}
	}
	return nil
}

// dataMountOurs reports, reading only, whether the data mount is the one the
// propagated mount remembers (or none is remembered yet): what CheckDataMount
// would accept.
func dataMountOurs(dataDir, mountDir string) (bool, error) {
	m, err := readDataMount(dataDir, mountDir)
	if err != nil {
		return false, err
	}
	return m.changed() == nil, nil
}

// dataMount is what the two markers say.
type dataMount struct {
	data, seen       dataIdentity
	hasData, hasSeen bool
	source           string // where the data mount comes from now
}

func readDataMount(dataDir, mountDir string) (dataMount, error) {
	var m dataMount
	var err error
	if m.data, m.hasData, err = readIdentity(filepath.Join(dataDir, dataMarker)); err != nil {
		return m, err
	}
	if m.seen, m.hasSeen, err = readIdentity(filepath.Join(mountDir, seenMarker)); err != nil {
		return m, err
	}
	m.source = mountSource(dataDir)
	return m, nil
}

// changed is ErrDataMountChanged, explained, when the propagated mount remembers
// another data mount than this one.
func (m dataMount) changed() error {
	if !m.hasSeen || (m.hasData && m.data.ID == m.seen.ID) {
		return nil
	}
	return fmt.Errorf("%w: it kept them on %s, this is %s%s. After `docker plugin upgrade` the engine mounts "+
		"config.json's default sources again; set yours and enable the plugin again: docker plugin disable -f PLUGIN && "+
		"docker plugin set PLUGIN data.source=DIR docker-socket.source=SOCKET && docker plugin enable PLUGIN "+
		"(to start afresh on this directory instead, remove the plugin and install it again)",
		ErrDataMountChanged, orUnknown(m.seen.Source), orUnknown(m.source), describeData(m.hasData))
}

func describeData(hasMarker bool) string {
	if hasMarker {
		return " (another baktainer data directory)"
	}
	return " (not a baktainer data directory yet)"
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown directory"
	}
	return s
}

func readIdentity(path string) (dataIdentity, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return dataIdentity{}, false, nil
	}
	if err != nil {
		return dataIdentity{}, false, fmt.Errorf("plugin: %w", err)
	}
	var id dataIdentity
	if err := json.Unmarshal(b, &id); err != nil || id.ID == "" {
		return dataIdentity{}, false, fmt.Errorf("plugin: %s is damaged (%v); it names the data directory, restore or delete it", path, err)
	}
	return id, true, nil
}

// writeIdentity writes durably (atomicfile).
func writeIdentity(path string, id dataIdentity) error {
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, stateTempPrefix+"marker-", append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	return nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// mountSource describes where the mount at target comes from ("/var/lib/baktainer
// on /dev/sda1"), or "" when it is not a mount point or mountinfo is unreadable.
func mountSource(target string) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	return mountSourceIn(bufio.NewScanner(f), target)
}

// mountSourceIn reads mountinfo lines: the 4th field is the mount's root in its
// filesystem, the 5th its mount point; after the "-" separator come the
// filesystem type and the source device.
func mountSourceIn(sc *bufio.Scanner, target string) string {
	found := ""
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || unescapeMountinfo(fields[4]) != target {
			continue
		}
		found = unescapeMountinfo(fields[3])
		for i, f := range fields {
			if f == "-" && i+2 < len(fields) {
				found += " on " + unescapeMountinfo(fields[i+2])
			}
		}
		// The last mount at target is the visible one: keep reading.
	}
	return found
}
