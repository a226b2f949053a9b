package plugin

import (
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/offsite"
)

// Remotes are the places backup volumes' archives are copied off the host: the
// plugin's BT_S3_* settings, each volume's bucket and prefix over them. A
// Remote per place is made on first use and kept (it holds the connections).
type Remotes struct {
	base offsite.Settings // BT_S3_*; not Enabled when copies are off
	log  *logrus.Entry

	mu     sync.Mutex
	byKey  map[string]agent.Offsite
	newOne func(offsite.Settings, offsite.Options) (*offsite.Remote, error)
}

// NewRemotes returns the remotes of the plugin's settings (which Load
// validated); with copies off, only volumes that ask for them get one, and it
// fails every copy, saying why.
func NewRemotes(base offsite.Settings, log *logrus.Entry) *Remotes {
	return &Remotes{base: base, log: log, byKey: map[string]agent.Offsite{}, newOne: offsite.New}
}

// For returns where a volume with options o copies its archives; nil when
// neither the plugin nor the volume asks for copies.
func (r *Remotes) For(volume string, o Options) agent.Offsite {
	if r == nil || (!r.base.Enabled() && !o.HasS3()) {
		return nil
	}
	s := r.base.WithPlace(o.S3Bucket, o.S3Prefix)
	if !r.base.Enabled() {
		return agent.BrokenOffsite(fmt.Sprintf("s3://%s/%s", s.Bucket, s.Prefix), fmt.Errorf(
			"volume %s asks for off-host copies (its s3.* options), but the plugin has no BT_S3_ENDPOINT and credentials: set them with docker plugin set", volume))
	}
	key := s.Bucket + "/" + s.Prefix
	r.mu.Lock()
	defer r.mu.Unlock()
	if remote, ok := r.byKey[key]; ok {
		return remote
	}
	remote, err := r.newOne(s, offsite.Options{Log: r.log})
	if err != nil {
		return agent.BrokenOffsite(s.String(), fmt.Errorf("volume %s: %w", volume, err))
	}
	r.byKey[key] = remote
	return remote
}
