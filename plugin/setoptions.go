package plugin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The engine never sends Create for a volume it or the driver already has (it
// asks Get first and returns the existing volume: docs/PLUGIN.md, quirk 8), so
// `docker volume create -o ...` cannot change a volume's options, nor fail.
// SetOptions is the way to change them (`baktainer volume set`, through the API).

// SetOptions changes volume name's options: KEY=VALUE sets one, KEY= (empty)
// unsets it. The resulting options are validated as a whole first; nothing
// changes when any is wrong (ErrInvalid, each problem named). The consumers
// option cannot change while containers mount the volume (ErrInUse): their
// mounts were made with the old one. Backups already writing keep the options
// they started with. It returns the volume and what changed ("KEY=NEW (was OLD)").
func (v *Volumes) SetOptions(ctx context.Context, name string, changes map[string]string) (VolumeInfo, []string, error) {
	if len(changes) == 0 {
		return VolumeInfo{}, nil, fmt.Errorf("%w: volume %s: no option to set; give KEY=VALUE (KEY= unsets)", ErrInvalid, name)
	}
	release, err := v.acquire(ctx)
	if err != nil {
		return VolumeInfo{}, nil, err
	}
	defer release()
	x, err := v.usable(name)
	if err != nil {
		return VolumeInfo{}, nil, err
	}
	next := maps.Clone(x.rec.Options)
	if next == nil {
		next = map[string]string{}
	}
	for key, value := range changes {
		if value == "" {
			delete(next, key)
		} else {
			next[key] = value
		}
	}
	opts, err := ParseOptions(next)
	if err != nil {
		return VolumeInfo{}, nil, fmt.Errorf("volume %s: %w", name, err)
	}
	if opts.ConsumersWrite != x.opts.ConsumersWrite && len(x.rec.Mounts) > 0 {
		return VolumeInfo{}, nil, fmt.Errorf("volume %s: option %s cannot change while %d container mount(s) use it; stop them first: %w",
			name, OptConsumers, len(x.rec.Mounts), ErrInUse)
	}
	r := x.rec
	r.Options = nil
	if len(next) > 0 {
		r.Options = next
	}
	if err := saveRecord(v.cfg.DataDir, r); err != nil {
		return VolumeInfo{}, nil, err
	}
	changed := describeChanges(x.rec.Options, next, "was %s", "was unset")
	x.rec, x.opts = r, opts
	return v.info(x), changed, nil
}

// describeChanges names each option whose value differs between from and to:
// "KEY=NEW (was OLD)", "KEY=NEW (was unset)", "KEY unset (was OLD)", with the
// words in parentheses given as formats (had takes the old value).
func describeChanges(from, to map[string]string, had, hadNone string) []string {
	keys := map[string]bool{}
	for k := range from {
		keys[k] = true
	}
	for k := range to {
		keys[k] = true
	}
	var out []string
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		old, hadIt := from[key]
		now, hasIt := to[key]
		switch {
		case hadIt && hasIt && old == now:
		case !hasIt:
			out = append(out, fmt.Sprintf("%s unset (%s)", key, fmt.Sprintf(had, old)))
		case !hadIt:
			out = append(out, fmt.Sprintf("%s=%s (%s)", key, now, hadNone))
		default:
			out = append(out, fmt.Sprintf("%s=%s (%s)", key, now, fmt.Sprintf(had, old)))
		}
	}
	return out
}

// otherOptionsError is Create's answer for a volume that exists with other options.
func otherOptionsError(name string, have, asked map[string]string) error {
	diff := describeChanges(have, asked, "the volume has %s", "the volume has it unset")
	return fmt.Errorf("volume %s exists with other options: %s; creating it again does not change them: "+
		"change them with: baktainer volume set %s KEY=VALUE... (or remove the volume and create it again): %w",
		name, strings.Join(diff, ", "), name, ErrExists)
}
