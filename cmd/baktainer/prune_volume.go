package main

import (
	"flag"
	"fmt"

	"github.com/baktainer/baktainer/config"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/plugin"
	"github.com/baktainer/baktainer/store"
)

// volumeFlags are prune's way to name a backup volume instead of a directory.
type volumeFlags struct {
	volume, data *string
}

func pruneVolumeFlags(flags *flag.FlagSet) volumeFlags {
	return volumeFlags{
		volume: flags.String("volume", "", "prune backup volume NAME (its directory on the plugin's data mount), with its retention options"),
		data:   flags.String("data", plugin.HostDataDir, "with --volume: the plugin's data mount (its data.source on the host; /data inside the plugin)"),
	}
}

// pruneVolume is the backup volume prune works on, when it does.
type pruneVolume struct {
	name      string
	retention labels.Retention // its retention.* options
}

// resolve returns the directory prune works on and, when it is a backup
// volume's (--volume, or a DIR that is <data>/volumes/<name> with the
// volume's record beside it), that volume: its retention options apply as in
// the plugin's agent, over BT_RETENTION_* and under the flags.
func (f volumeFlags) resolve(env *runEnv, pos []string) (string, *pruneVolume, error) {
	data, name := *f.data, *f.volume
	var dir string
	if name != "" {
		if len(pos) > 0 {
			return "", nil, fmt.Errorf("%w: give either DIR or --volume, not both", errUsage)
		}
		dir = plugin.VolumeDir(data, name)
	} else {
		var err error
		if dir, err = env.dirArg(pos); err != nil {
			return "", nil, err
		}
	}
	dir, err := backupDir(env, dir)
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		var ok bool
		if data, name, ok = plugin.VolumeAt(dir); !ok {
			return dir, nil, nil
		}
	}
	opts, err := plugin.ReadVolumeOptions(data, name)
	if err != nil {
		return "", nil, err
	}
	return dir, &pruneVolume{name: name, retention: opts.Retention}, nil
}

// policy is the retention prune applies: the settings, then the volume's
// options (when prune works on a volume: v not nil), as the plugin's agent
// applies them, then the flags; and how the policy line says where it came from.
func (v *pruneVolume) policy(cfg config.Config, flags labels.Retention) (store.Policy, string) {
	if v == nil {
		return cfg.Policy(flags), ""
	}
	return cfg.Policy(v.retention, flags), fmt.Sprintf(" (BT_RETENTION_*, then volume %s's retention options, then the flags)", v.name)
}
